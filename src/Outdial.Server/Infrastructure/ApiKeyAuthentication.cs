using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Storage;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// Verifies API keys: hashes the presented key (SHA-256) and looks the hash up, caching verified keys for
/// <see cref="ApiOptions.ApiKeyCacheDuration"/> so the hot path (intake) needs no database read per request.
/// Revoking a key on this node drops it from the cache at once.
/// </summary>
public sealed class ApiKeyVerifier(IAccountStore accounts, IOptions<ApiOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (ApiKey? Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>The active key matching <paramref name="presented"/>, or null.</summary>
    public async Task<ApiKey?> VerifyAsync(string presented, CancellationToken ct)
    {
        var hash = ApiKeySecrets.Hash(presented);
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now)
        {
            return hit.Key;
        }
        var key = await accounts.FindActiveApiKeyAsync(hash, ct);
        if (_cache.Count > 100_000)
        {
            _cache.Clear();
        }
        _cache[hash] = (key, now + (key is null ? TimeSpan.FromSeconds(2) : options.Value.ApiKeyCacheDuration));
        return key;
    }

    /// <summary>
    /// Forgets every cached key of an account (after the operator disabled or enabled it), and every cached refusal: a key
    /// refused while its account was disabled is cached as unknown (2 s), and would otherwise stay refused after the
    /// account is enabled again. Refusals carry no account, and operator actions are rare, so all of them go.
    /// </summary>
    public void ForgetAccount(string accountId)
    {
        foreach (var (hash, entry) in _cache)
        {
            if (entry.Key is null || entry.Key.AccountId == accountId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>Forgets a key (after revocation).</summary>
    public void Forget(string keyId)
    {
        foreach (var (hash, entry) in _cache)
        {
            if (entry.Key?.Id == keyId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }
}

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> authentication. An API key's principal carries <c>account_id</c> and
/// <c>api_key_id</c> claims; the operator key's (<see cref="OperatorKeys"/>) carries only <c>operator</c>. A missing, malformed,
/// unknown or revoked key, or one of a disabled account, is 401 <c>unauthorized</c>; a key used where its kind is not
/// accepted (the operator key outside <c>/v1/admin</c>, an API key inside it) is 403 <c>forbidden</c> (problem details).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyVerifier verifier,
    OperatorKeys operators) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string AccountClaim = "account_id";
    public const string KeyClaim = "api_key_id";
    public const string OperatorClaim = "operator";

    /// <summary>Authorization policy of <c>/v1/admin</c>: the operator key.</summary>
    public const string OperatorPolicy = "Operator";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return AuthenticateResult.Fail("Authorization must be 'Bearer <api key>'");
        }
        var presented = header[7..].Trim();
        if (await operators.IsOperatorKeyAsync(presented, Context.RequestAborted))
        {
            var op = new ClaimsIdentity([new Claim(OperatorClaim, "true")], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(op), SchemeName));
        }
        var key = await verifier.VerifyAsync(presented, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("unknown or revoked API key, or its account is disabled");
        }
        var identity = new ClaimsIdentity([new Claim(AccountClaim, key.AccountId), new Claim(KeyClaim, key.Id)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.Create(StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required.",
            result.Failure?.Message ?? "Send 'Authorization: Bearer <api key>'.").ExecuteAsync(Context);
    }

    /// <inheritdoc />
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var isOperator = Context.User.HasClaim(c => c.Type == OperatorClaim);
        await Problems.Create(StatusCodes.Status403Forbidden, "forbidden", "This key cannot be used here.",
            isOperator
                ? "The operator key serves /v1/admin only; use an account's API key for everything else."
                : "/v1/admin needs the operator key (Outdial:Admin:ApiKey, or the one printed on first start).").ExecuteAsync(Context);
    }
}

/// <summary>Reading the caller's account from the authenticated principal.</summary>
public static class PrincipalExtensions
{
    /// <summary>The account of the API key that authenticated this request.</summary>
    public static string AccountId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.AccountClaim) ?? throw new InvalidOperationException("request is not authenticated");
}
