using System.Security.Cryptography;
using System.Text;

namespace Outdial.Core.Accounts;

/// <summary>A tenant. Everything is scoped to one account.</summary>
/// <param name="RequireConsent">When true (the default) every call must carry consent evidence with <c>obtained: true</c>.</param>
/// <param name="MaxConcurrentCalls">Calls of this account that may be dialing, ringing or in progress at once.</param>
public sealed record Account(string Id, string Name, bool RequireConsent, int MaxConcurrentCalls, DateTimeOffset CreatedAt)
{
    /// <summary>When true, a call may be dialed only while a valid consent record (<c>/v1/consents</c>) exists for its number; the call links it.</summary>
    public bool RequireConsentRecord { get; init; }

    /// <summary>Most attempts per number in <see cref="FrequencyCapWindowSec"/> across all of the account's calls; null = the server default.</summary>
    public int? FrequencyCapMaxAttempts { get; init; }

    /// <summary>The rolling window of the frequency cap, in seconds; null = the server default.</summary>
    public int? FrequencyCapWindowSec { get; init; }

    /// <summary>
    /// False switches off access through the seed dialects that document such a switch (BuildVoiceAI seed 003: 403
    /// "API access is disabled"); the native API keeps working so the account can switch it back on. Default true.
    /// </summary>
    public bool ApiAccessEnabled { get; init; } = true;

    /// <summary>The account's <c>dburl</c> alias (Vodex seed 000's account header); unique across accounts, or null.</summary>
    public string? Dburl { get; init; }

    /// <summary>The account's <c>teamId</c> alias (aicaller seed 004); unique across accounts, or null.</summary>
    public string? TeamId { get; init; }

    /// <summary>The account's IVR <c>Tenant</c> alias (seed 002); unique across accounts, or null.</summary>
    public string? IvrTenant { get; init; }

    /// <summary>
    /// What a seed dialect's agent reference that names no agent of the account does (a <c>ScenarioPath</c>, <c>projectId</c>,
    /// <c>agent_id</c> or <c>callTemplateId</c>; see <see cref="Agents.Agent.ExternalRefs"/>). False (the default): the call goes
    /// to the account's default agent, with <c>agentSource: "fallback"</c> and the reference kept as <c>agentRef</c>. True
    /// (strict): the request is refused with the dialect's own "agent not found" error. The native API is always strict.
    /// </summary>
    public bool StrictAgentRefs { get; init; }

    /// <summary>
    /// When an operator disabled the account (UTC), or null while it is enabled (<c>/v1/admin/accounts</c>). A disabled account's
    /// API keys stop authenticating and its calls wait undialed until it is enabled again; nothing of it is deleted.
    /// </summary>
    public DateTimeOffset? DisabledAt { get; init; }
}

/// <summary>The kinds of external names a seed dialect uses for an account (each unique across accounts).</summary>
public enum AccountAlias
{
    /// <summary>Vodex seed 000's <c>dburl</c> header.</summary>
    Dburl,
    /// <summary>aicaller seed 004's <c>teamId</c>.</summary>
    TeamId,
    /// <summary>IVR seed 002's <c>Tenant</c>.</summary>
    IvrTenant,
}

/// <summary>An API key as stored: only the SHA-256 hash of the secret and its visible prefix are kept.</summary>
public sealed record ApiKey(string Id, string AccountId, string Name, string Prefix, string Hash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Creating and hashing API keys of the form <c>od_live_</c> + 32 base-62 characters (≈190 random bits).</summary>
public static class ApiKeySecrets
{
    /// <summary>Start of every generated key.</summary>
    public const string KeyPrefix = "od_live_";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new random secret key. Show it once; store only <see cref="Hash"/> and <see cref="VisiblePrefix"/>.</summary>
    public static string Generate() => KeyPrefix + RandomNumberGenerator.GetString(Alphabet, 32);

    /// <summary>
    /// Lower-case hex SHA-256 of the key. Keys carry ≥128 random bits, so a fast hash is enough (no password
    /// stretching is needed) and lets every request be authenticated with one indexed lookup.
    /// </summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The first 12 characters, shown in listings so users can tell keys apart.</summary>
    public static string VisiblePrefix(string key) => key.Length <= 12 ? key : key[..12];
}
