using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Storage;

/// <summary>
/// Raised by the store after a write to an account's configuration (the account, its agents, phone numbers or webhook
/// endpoints) commits, so that <see cref="ConfigCache"/> drops what it holds for that account.
/// </summary>
public sealed class ConfigChangeSignal
{
    /// <summary>The account whose configuration changed.</summary>
    public event Action<string>? Changed;

    /// <summary>Tells the listeners that <paramref name="accountId"/>'s configuration changed.</summary>
    public void Notify(string accountId) => Changed?.Invoke(accountId);
}

/// <summary><c>Outdial:Cache</c>.</summary>
public sealed class CacheOptions
{
    /// <summary>
    /// How long intake may use an account's configuration read before without reading it again. A change made through this
    /// node applies at once; one made through another node sharing the database, within this. Default 5 s; 0 turns the cache off.
    /// </summary>
    public TimeSpan ConfigTtl { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The configuration intake reads for every call — the account, its default and named agents, its phone numbers and its
/// webhook endpoints — cached per account for <see cref="CacheOptions.ConfigTtl"/>, and dropped for an account as soon as a
/// write to its configuration commits on this node (<see cref="ConfigChangeSignal"/>). A read that raced such a write is
/// not kept. Per-number state (DNC, consent, the dial log, duplicates) is never cached.
/// </summary>
public sealed class ConfigCache
{
    private readonly IAccountStore _accounts;
    private readonly IAgentStore _agents;
    private readonly IWebhookStore _webhooks;
    private readonly IOptions<CacheOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Kind, string AccountId, string Key), Entry> _entries = new();
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);

    private sealed record Entry(object? Value, long Generation, DateTimeOffset Expires);

    public ConfigCache(IAccountStore accounts, IAgentStore agents, IWebhookStore webhooks, ConfigChangeSignal changes, IOptions<CacheOptions> options,
        TimeProvider clock)
    {
        _accounts = accounts;
        _agents = agents;
        _webhooks = webhooks;
        _options = options;
        _clock = clock;
        changes.Changed += Invalidate;
    }

    /// <summary>Drops everything cached for <paramref name="accountId"/>.</summary>
    public void Invalidate(string accountId) => _generations.AddOrUpdate(accountId, 1, (_, g) => g + 1);

    /// <summary>The account, or null when it does not exist (a miss is cached too, for the TTL).</summary>
    public Task<Account?> GetAccountAsync(string accountId, CancellationToken ct) =>
        GetAsync("account", accountId, "", () => _accounts.GetAccountAsync(accountId, ct));

    /// <summary>The account's default agent, or null.</summary>
    public Task<Agent?> GetDefaultAgentAsync(string accountId, CancellationToken ct) =>
        GetAsync("default-agent", accountId, "", () => _agents.GetDefaultAgentAsync(accountId, ct));

    /// <summary>A live (not deleted) agent of the account.</summary>
    public Task<Agent?> GetAgentAsync(string accountId, string agentId, CancellationToken ct) =>
        GetAsync("agent", accountId, agentId, () => _agents.GetAgentAsync(accountId, agentId, ct));

    /// <summary>One of the account's phone numbers (caller IDs) by id, or null.</summary>
    public Task<PhoneNumber?> GetPhoneNumberAsync(string accountId, string phoneNumberId, CancellationToken ct) =>
        GetAsync("phone-number", accountId, phoneNumberId, () => _agents.GetPhoneNumberAsync(accountId, phoneNumberId, ct));

    /// <summary>The account's webhook endpoints, enabled or not (<see cref="IWebhookStore.ListEndpointsAsync"/>).</summary>
    public async Task<IReadOnlyList<WebhookEndpoint>> ListEndpointsAsync(string accountId, CancellationToken ct) =>
        (await GetAsync<IReadOnlyList<WebhookEndpoint>>("endpoints", accountId, "", async () => await _webhooks.ListEndpointsAsync(accountId, ct)))!;

    private async Task<T?> GetAsync<T>(string kind, string accountId, string key, Func<Task<T?>> read) where T : class
    {
        var ttl = _options.Value.ConfigTtl;
        if (ttl <= TimeSpan.Zero)
        {
            return await read();
        }
        var now = _clock.GetUtcNow();
        var generation = _generations.GetValueOrDefault(accountId);
        if (_entries.TryGetValue((kind, accountId, key), out var entry) && entry.Generation == generation && entry.Expires > now)
        {
            return (T?)entry.Value;
        }
        var value = await read();
        // Kept only when no change of the account committed meanwhile (its generation is what it was before the read).
        if (_generations.GetValueOrDefault(accountId) == generation)
        {
            _entries[(kind, accountId, key)] = new Entry(value, generation, now + ttl);
        }
        return value;
    }
}
