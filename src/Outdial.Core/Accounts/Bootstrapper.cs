using Microsoft.Extensions.Options;
using Outdial.Core.Agents;
using Outdial.Core.Common;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;

namespace Outdial.Core.Accounts;

/// <summary>Root settings (configuration section <c>Outdial</c>).</summary>
public sealed class OutdialOptions
{
    /// <summary>Folder holding the SQLite file and the sandbox's ledger; created when missing. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>When set, the first start provisions exactly this API key instead of generating and printing one.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>
    /// The absolute URL at which providers reach this server (scheme, host, optional port and path prefix, no trailing
    /// slash), e.g. <c>https://outdial.example.com</c>: Twilio fetches TwiML and posts status callbacks under it. Needed
    /// by every provider except the sandbox; behind a reverse proxy or tunnel it is the public address, not Kestrel's.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Caller ID of the sandbox phone number created on first start (E.164).</summary>
    public string BootstrapCallerId { get; set; } = "+15550000100";

    /// <summary>
    /// Whether this node runs background work (<c>Outdial:Workers</c>: dispatcher, reconciler, webhook deliverer, campaigns,
    /// imports, insights). Default true; false makes an API-only node, whose accepted calls are dialed by the nodes that
    /// run workers over the same database.
    /// </summary>
    public bool Workers { get; set; } = true;
}

/// <summary>An account as first written: the account, its default agent, its sandbox caller ID and its first API key (with the secret, shown once).</summary>
public sealed record NewAccount(Account Account, Agent Agent, PhoneNumber Number, ApiKey Key, string Secret)
{
    /// <summary>
    /// A new account named <paramref name="name"/> with a default agent (key <c>default</c>), the sandbox caller ID
    /// <paramref name="callerId"/> (E.164, 10 CPS) as the agent's number, and one API key named <paramref name="keyName"/>
    /// (<paramref name="secret"/>, else a generated one). Consent evidence required; at most 10 concurrent calls, unless given.
    /// </summary>
    public static NewAccount Create(string name, string callerId, string keyName, DateTimeOffset now, string? secret = null,
        bool requireConsent = true, int maxConcurrentCalls = 10)
    {
        var accountId = Ids.New("acc", now);
        var key = string.IsNullOrEmpty(secret) ? ApiKeySecrets.Generate() : secret;
        var account = new Account(accountId, name, requireConsent, maxConcurrentCalls, now);
        var number = new PhoneNumber
        {
            Id = Ids.New("pn", now),
            AccountId = accountId,
            Number = callerId,
            Label = "Sandbox caller ID",
            Provider = "sandbox",
            CallsPerSecond = 10,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var agent = new Agent
        {
            Id = Ids.New("agt", now),
            AccountId = accountId,
            Key = "default",
            Name = "Default agent",
            Prompt = "You are a friendly assistant calling {firstName} on behalf of Example Co. Be brief and polite.",
            FirstMessage = "Hello {firstName}, this is a quick call from our team.",
            BusinessName = "Example Co.",
            IsDefault = true,
            PhoneNumberId = number.Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var apiKey = new ApiKey(Ids.New("key", now), accountId, keyName, ApiKeySecrets.VisiblePrefix(key), ApiKeySecrets.Hash(key), now, null);
        return new NewAccount(account, agent, number, apiKey, key);
    }
}

/// <summary>
/// First start: one account, a default agent, a sandbox caller ID and one API key, written in one transaction only
/// when the store has no account yet (so it happens exactly once, even with several nodes starting together).
/// </summary>
public sealed class Bootstrapper(IAccountStore accounts, IOptions<OutdialOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Returns the new API key when this call bootstrapped the store (show it once; only its hash is stored),
    /// or null when an account already existed.
    /// </summary>
    public async Task<string?> EnsureAsync(CancellationToken ct)
    {
        var n = NewAccount.Create("Default account", options.Value.BootstrapCallerId, "bootstrap", clock.GetUtcNow(), options.Value.BootstrapApiKey);
        return await accounts.TryBootstrapAsync(n.Account, n.Agent, n.Number, n.Key, ct) ? n.Secret : null;
    }
}
