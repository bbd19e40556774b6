using Microsoft.Extensions.Options;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Core.Accounts;

/// <summary>The operator's credential (configuration section <c>Outdial:Admin</c>).</summary>
public sealed class AdminOptions
{
    public const string Section = "Outdial:Admin";

    /// <summary>
    /// The operator key for <c>/v1/admin</c> (at least 16 characters), compared by its SHA-256 hash. When unset, the first
    /// start generates one (<see cref="OperatorKeySecrets.KeyPrefix"/>…), stores only its hash and prints it once.
    /// </summary>
    public string? ApiKey { get; set; }
}

/// <summary>An operator key as stored: the SHA-256 hash of the secret and its visible prefix (like <see cref="ApiKey"/>).</summary>
public sealed record OperatorKey(string Id, string Prefix, string Hash, DateTimeOffset CreatedAt);

/// <summary>Operator keys: <c>od_admin_</c> + 32 base-62 characters (≈190 random bits), hashed like API keys.</summary>
public static class OperatorKeySecrets
{
    /// <summary>Start of every generated operator key.</summary>
    public const string KeyPrefix = "od_admin_";

    /// <summary>A new random operator key. Show it once; store only its hash.</summary>
    public static string Generate() => KeyPrefix + ApiKeySecrets.Generate()[ApiKeySecrets.KeyPrefix.Length..];
}

/// <summary>
/// Recognises the operator key: the configured <see cref="AdminOptions.ApiKey"/> when set (then no stored key counts), else
/// a key stored by <see cref="EnsureAsync"/>. Comparison is of SHA-256 hashes, so no secret is held in memory but the
/// configured one.
/// </summary>
public sealed class OperatorKeys(IAccountStore accounts, IOptions<AdminOptions> options, TimeProvider clock)
{
    private readonly string? _configuredHash = string.IsNullOrEmpty(options.Value.ApiKey) ? null : ApiKeySecrets.Hash(options.Value.ApiKey);

    /// <summary>True when the operator key comes from configuration (<c>Outdial:Admin:ApiKey</c>).</summary>
    public bool Configured => _configuredHash is not null;

    /// <summary>
    /// At start: when no operator key is configured and none is stored, generates one, stores its hash and returns the secret
    /// (print it once); otherwise null. Exactly one of several nodes starting together generates it.
    /// </summary>
    public async Task<string?> EnsureAsync(CancellationToken ct)
    {
        if (Configured)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var secret = OperatorKeySecrets.Generate();
        var key = new OperatorKey(Ids.New("opk", now), ApiKeySecrets.VisiblePrefix(secret), ApiKeySecrets.Hash(secret), now);
        return await accounts.TryCreateFirstOperatorKeyAsync(key, ct) ? secret : null;
    }

    /// <summary>Whether <paramref name="presented"/> is the operator key.</summary>
    /// <remarks>
    /// Every authenticated request asks this first, so an account's API key costs nothing here unless an operator key is
    /// configured (then one SHA-256); only a stored operator key's <c>od_admin_</c> form is looked up.
    /// </remarks>
    public async Task<bool> IsOperatorKeyAsync(string presented, CancellationToken ct)
    {
        if (_configuredHash is not null)
        {
            return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(ApiKeySecrets.Hash(presented)), System.Text.Encoding.ASCII.GetBytes(_configuredHash));
        }
        return presented.StartsWith(OperatorKeySecrets.KeyPrefix, StringComparison.Ordinal)
            && await accounts.FindOperatorKeyAsync(ApiKeySecrets.Hash(presented), ct) is not null;
    }
}
