using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.PhoneNumbers;

namespace Outdial.Core.Storage;

/// <summary>Accounts, API keys and first-start bootstrap.</summary>
public interface IAccountStore
{
    /// <summary>
    /// Writes the first account with its default agent, sandbox number and API key in one transaction,
    /// unless any account exists. Returns false (and writes nothing) when one does.
    /// </summary>
    Task<bool> TryBootstrapAsync(Account account, Agent agent, PhoneNumber number, ApiKey key, CancellationToken ct);

    /// <summary>Writes a further account with its default agent, caller ID and first API key in one transaction (operators and tests).</summary>
    Task CreateAccountAsync(Account account, Agent agent, PhoneNumber number, ApiKey key, CancellationToken ct);

    Task<Account?> GetAccountAsync(string accountId, CancellationToken ct);

    /// <summary>Accounts newest first (by id), those with an id below <paramref name="cursor"/> when given; at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Account>> ListAccountsAsync(string? cursor, int limit, CancellationToken ct);

    /// <summary>
    /// Sets <see cref="Account.DisabledAt"/> to <paramref name="at"/> (null enables the account again); an account already
    /// disabled keeps its first time. False when it does not exist. Settings updates never change it.
    /// </summary>
    Task<bool> SetAccountDisabledAsync(string accountId, DateTimeOffset? at, CancellationToken ct);

    /// <summary>Writes <paramref name="key"/> unless an operator key is stored already (then writes nothing and returns false).</summary>
    Task<bool> TryCreateFirstOperatorKeyAsync(OperatorKey key, CancellationToken ct);

    /// <summary>The stored operator key with this SHA-256 hash, or null.</summary>
    Task<OperatorKey?> FindOperatorKeyAsync(string hash, CancellationToken ct);

    /// <summary>Replaces the account's settings (name, consent requirement, concurrency, caps, aliases, API access); false when it does not exist or an alias is taken.</summary>
    Task<bool> UpdateAccountAsync(Account account, CancellationToken ct);

    /// <summary>Like <see cref="UpdateAccountAsync"/>: Ok, NotFound, or Conflict when another account has one of its aliases (nothing written).</summary>
    Task<UpsertResult> UpdateAccountSettingsAsync(Account account, CancellationToken ct);

    /// <summary>The account with this alias (<see cref="AccountAlias"/>; exact, case-sensitive match), or null.</summary>
    Task<Account?> FindAccountByAliasAsync(AccountAlias kind, string value, CancellationToken ct);

    /// <summary>The key whose <see cref="ApiKey.Hash"/> matches, that is not revoked and whose account is not disabled, or null.</summary>
    Task<ApiKey?> FindActiveApiKeyAsync(string hash, CancellationToken ct);

    Task CreateApiKeyAsync(ApiKey key, CancellationToken ct);

    /// <summary>Keys of the account, revoked ones included, newest first.</summary>
    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(string accountId, CancellationToken ct);

    Task<ApiKey?> GetApiKeyAsync(string accountId, string keyId, CancellationToken ct);

    /// <summary>Renames a key; false when it does not exist in the account.</summary>
    Task<bool> RenameApiKeyAsync(string accountId, string keyId, string name, CancellationToken ct);

    /// <summary>Sets <see cref="ApiKey.RevokedAt"/> once; false when the key does not exist in the account.</summary>
    Task<bool> RevokeApiKeyAsync(string accountId, string keyId, DateTimeOffset at, CancellationToken ct);
}

/// <summary>Result of writing an agent or phone number whose natural key must be unique.</summary>
public enum UpsertResult
{
    Ok,
    NotFound,
    /// <summary>Another row of the account already has this agent <c>key</c> or phone number.</summary>
    Conflict,
}

/// <summary>Agents and phone numbers (caller IDs).</summary>
public interface IAgentStore
{
    /// <summary>Inserts an agent; when it is the default, the previous default stops being one (same transaction).</summary>
    Task<UpsertResult> CreateAgentAsync(Agent agent, CancellationToken ct);

    /// <summary>Replaces an agent; same default rule as create.</summary>
    Task<UpsertResult> UpdateAgentAsync(Agent agent, CancellationToken ct);

    /// <summary>Deleted agents are kept for the calls that used them: pass <paramref name="includeDeleted"/> from the dispatcher.</summary>
    Task<Agent?> GetAgentAsync(string accountId, string agentId, CancellationToken ct, bool includeDeleted = false);

    Task<Agent?> FindAgentByKeyAsync(string accountId, string key, CancellationToken ct);

    /// <summary>The live agent of the account holding <paramref name="reference"/> among its <see cref="Agent.ExternalRefs"/> (exact, case-sensitive), or null.</summary>
    Task<Agent?> FindAgentByRefAsync(string accountId, string reference, CancellationToken ct);

    Task<Agent?> GetDefaultAgentAsync(string accountId, CancellationToken ct);

    Task<IReadOnlyList<Agent>> ListAgentsAsync(string accountId, CancellationToken ct);

    /// <summary>Soft-deletes a non-default agent. Ok, NotFound, or Conflict when it is the default agent.</summary>
    Task<UpsertResult> DeleteAgentAsync(string accountId, string agentId, DateTimeOffset at, CancellationToken ct);

    Task<UpsertResult> CreatePhoneNumberAsync(PhoneNumber number, CancellationToken ct);

    Task<UpsertResult> UpdatePhoneNumberAsync(PhoneNumber number, CancellationToken ct);

    Task<PhoneNumber?> GetPhoneNumberAsync(string accountId, string phoneNumberId, CancellationToken ct);

    Task<PhoneNumber?> FindPhoneNumberAsync(string accountId, string e164, CancellationToken ct);

    Task<IReadOnlyList<PhoneNumber>> ListPhoneNumbersAsync(string accountId, CancellationToken ct);

    Task<bool> DeletePhoneNumberAsync(string accountId, string phoneNumberId, CancellationToken ct);
}
