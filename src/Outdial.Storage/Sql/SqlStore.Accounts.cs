using System.Data.Common;
using Dapper;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.PhoneNumbers;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore
{
    private sealed record AccountRow(string id, string name, long require_consent, long max_concurrent_calls, long created_at,
        long require_consent_record, long? frequency_cap_max, long? frequency_cap_window_sec, string? dburl, string? team_id,
        string? ivr_tenant, long api_access_enabled, long strict_agent_refs, long? disabled_at)
    {
        public Account ToAccount() => new(id, name, require_consent != 0, (int)max_concurrent_calls, At(created_at))
        {
            RequireConsentRecord = require_consent_record != 0,
            FrequencyCapMaxAttempts = (int?)frequency_cap_max,
            FrequencyCapWindowSec = (int?)frequency_cap_window_sec,
            Dburl = dburl,
            TeamId = team_id,
            IvrTenant = ivr_tenant,
            ApiAccessEnabled = api_access_enabled != 0,
            StrictAgentRefs = strict_agent_refs != 0,
            DisabledAt = disabled_at is { } d ? At(d) : null,
        };
    }

    private const string AccountColumns =
        "id, name, require_consent, max_concurrent_calls, created_at, require_consent_record, frequency_cap_max, frequency_cap_window_sec, "
        + "dburl, team_id, ivr_tenant, api_access_enabled, strict_agent_refs, disabled_at";

    private sealed record ApiKeyRow(string id, string account_id, string name, string prefix, string hash, long created_at, long? revoked_at)
    {
        public ApiKey ToKey() => new(id, account_id, name, prefix, hash, At(created_at), revoked_at is { } r ? At(r) : null);
    }

    private const string ApiKeyColumns = "id, account_id, name, prefix, hash, created_at, revoked_at";

    /// <inheritdoc />
    public Task<bool> TryBootstrapAsync(Account account, Agent agent, PhoneNumber number, ApiKey key, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            if (conn.ExecuteScalar<long>("SELECT COUNT(*) FROM accounts;") > 0)
            {
                return false;
            }
            InsertAccount(conn, account, agent, number, key);
            return true;
        }, ct);

    /// <inheritdoc />
    public Task CreateAccountAsync(Account account, Agent agent, PhoneNumber number, ApiKey key, CancellationToken ct) =>
        ConfigWrittenAsync(account.Id, CreateAccountCoreAsync(account, agent, number, key, ct));

    private Task CreateAccountCoreAsync(Account account, Agent agent, PhoneNumber number, ApiKey key, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            InsertAccount(conn, account, agent, number, key);
            return true;
        }, ct);

    private static void InsertAccount(DbConnection conn, Account account, Agent agent, PhoneNumber number, ApiKey key)
    {
        conn.Execute("""
                INSERT INTO accounts (id, name, require_consent, max_concurrent_calls, created_at,
                    require_consent_record, frequency_cap_max, frequency_cap_window_sec, dburl, team_id, ivr_tenant, api_access_enabled, strict_agent_refs)
                VALUES (@Id, @Name, CAST(@RequireConsent AS INTEGER), @MaxConcurrentCalls, @created,
                    CAST(@RequireConsentRecord AS INTEGER), @FrequencyCapMaxAttempts, @FrequencyCapWindowSec, @Dburl, @TeamId, @IvrTenant,
                    CAST(@ApiAccessEnabled AS INTEGER), CAST(@StrictAgentRefs AS INTEGER))
                """, new
        {
            account.StrictAgentRefs,
            account.Dburl,
            account.TeamId,
            account.IvrTenant,
            account.ApiAccessEnabled,
            account.Id,
            account.Name,
            account.RequireConsent,
            account.MaxConcurrentCalls,
            created = Ms(account.CreatedAt),
            account.RequireConsentRecord,
            account.FrequencyCapMaxAttempts,
            account.FrequencyCapWindowSec,
        });
        InsertApiKey(conn, key);
        InsertPhoneNumber(conn, number);
        InsertAgent(conn, agent);
    }

    /// <inheritdoc />
    public async Task<Account?> GetAccountAsync(string accountId, CancellationToken ct) =>
        (await QuerySingleAsync<AccountRow>($"SELECT {AccountColumns} FROM accounts WHERE id = @accountId;",
            new { accountId }, ct))?.ToAccount();

    /// <inheritdoc />
    public async Task<IReadOnlyList<Account>> ListAccountsAsync(string? cursor, int limit, CancellationToken ct) =>
        [.. (await QueryAsync<AccountRow>($"SELECT {AccountColumns} FROM accounts WHERE (@cursor IS NULL OR id < @cursor) ORDER BY id DESC LIMIT @limit;",
            new { cursor, limit }, ct)).Select(r => r.ToAccount())];

    /// <inheritdoc />
    public Task<bool> SetAccountDisabledAsync(string accountId, DateTimeOffset? at, CancellationToken ct) =>
        ConfigWrittenAsync(accountId, engine.WriteAsync(conn => conn.Execute(at is null
            ? "UPDATE accounts SET disabled_at = NULL WHERE id = @accountId;"
            : "UPDATE accounts SET disabled_at = COALESCE(disabled_at, @at) WHERE id = @accountId;",
            new { accountId, at = at is { } t ? Ms(t) : (long?)null }) == 1, ct));

    /// <inheritdoc />
    public Task<bool> TryCreateFirstOperatorKeyAsync(OperatorKey key, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            if (conn.ExecuteScalar<long>("SELECT COUNT(*) FROM operator_keys;") > 0)
            {
                return false;
            }
            conn.Execute("INSERT INTO operator_keys (id, prefix, hash, created_at) VALUES (@Id, @Prefix, @Hash, @created);",
                new { key.Id, key.Prefix, key.Hash, created = Ms(key.CreatedAt) });
            return true;
        }, ct);

    private sealed record OperatorKeyRow(string id, string prefix, string hash, long created_at);

    /// <inheritdoc />
    public async Task<OperatorKey?> FindOperatorKeyAsync(string hash, CancellationToken ct) =>
        await QuerySingleAsync<OperatorKeyRow>("SELECT id, prefix, hash, created_at FROM operator_keys WHERE hash = @hash;", new { hash }, ct)
            is { } r ? new OperatorKey(r.id, r.prefix, r.hash, At(r.created_at)) : null;

    /// <inheritdoc />
    public async Task<bool> UpdateAccountAsync(Account account, CancellationToken ct) =>
        await UpdateAccountSettingsAsync(account, ct) == Core.Storage.UpsertResult.Ok;

    /// <inheritdoc />
    public Task<Core.Storage.UpsertResult> UpdateAccountSettingsAsync(Account account, CancellationToken ct) =>
        ConfigWrittenAsync(account.Id, UpdateAccountSettingsCoreAsync(account, ct));

    private Task<Core.Storage.UpsertResult> UpdateAccountSettingsCoreAsync(Account account, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            // The single writer makes this check and the update one step; the unique indexes are the backstop.
            var taken = conn.ExecuteScalar<long>("""
                SELECT COUNT(*) FROM accounts WHERE id <> @Id AND ((@Dburl IS NOT NULL AND dburl = @Dburl)
                    OR (@TeamId IS NOT NULL AND team_id = @TeamId) OR (@IvrTenant IS NOT NULL AND ivr_tenant = @IvrTenant))
                """, new { account.Id, account.Dburl, account.TeamId, account.IvrTenant });
            if (taken > 0)
            {
                return Core.Storage.UpsertResult.Conflict;
            }
            return conn.Execute("""
                UPDATE accounts SET name = @Name, require_consent = CAST(@RequireConsent AS INTEGER), max_concurrent_calls = @MaxConcurrentCalls,
                    require_consent_record = CAST(@RequireConsentRecord AS INTEGER), frequency_cap_max = @FrequencyCapMaxAttempts,
                    frequency_cap_window_sec = @FrequencyCapWindowSec, dburl = @Dburl, team_id = @TeamId, ivr_tenant = @IvrTenant,
                    api_access_enabled = CAST(@ApiAccessEnabled AS INTEGER), strict_agent_refs = CAST(@StrictAgentRefs AS INTEGER)
                WHERE id = @Id
                """, new
            {
                account.Name,
                account.RequireConsent,
                account.MaxConcurrentCalls,
                account.RequireConsentRecord,
                account.FrequencyCapMaxAttempts,
                account.FrequencyCapWindowSec,
                account.Dburl,
                account.TeamId,
                account.IvrTenant,
                account.ApiAccessEnabled,
                account.StrictAgentRefs,
                account.Id,
            }) == 1 ? Core.Storage.UpsertResult.Ok : Core.Storage.UpsertResult.NotFound;
        }, ct);

    /// <inheritdoc />
    public async Task<Account?> FindAccountByAliasAsync(Core.Accounts.AccountAlias kind, string value, CancellationToken ct)
    {
        var column = kind switch
        {
            Core.Accounts.AccountAlias.Dburl => "dburl",
            Core.Accounts.AccountAlias.TeamId => "team_id",
            _ => "ivr_tenant",
        };
        return (await QuerySingleAsync<AccountRow>($"SELECT {AccountColumns} FROM accounts WHERE {column} = @value;", new { value }, ct))?.ToAccount();
    }

    /// <inheritdoc />
    public async Task<ApiKey?> FindActiveApiKeyAsync(string hash, CancellationToken ct) =>
        (await QuerySingleAsync<ApiKeyRow>($"""
            SELECT {ApiKeyColumns} FROM api_keys
            WHERE hash = @hash AND revoked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = api_keys.account_id AND a.disabled_at IS NOT NULL);
            """, new { hash }, ct))?.ToKey();

    /// <inheritdoc />
    public Task CreateApiKeyAsync(ApiKey key, CancellationToken ct) => engine.WriteAsync(conn => InsertApiKey(conn, key), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(string accountId, CancellationToken ct) =>
        [.. (await QueryAsync<ApiKeyRow>($"SELECT {ApiKeyColumns} FROM api_keys WHERE account_id = @accountId ORDER BY id DESC;", new { accountId }, ct))
            .Select(r => r.ToKey())];

    /// <inheritdoc />
    public async Task<ApiKey?> GetApiKeyAsync(string accountId, string keyId, CancellationToken ct) =>
        (await QuerySingleAsync<ApiKeyRow>($"SELECT {ApiKeyColumns} FROM api_keys WHERE account_id = @accountId AND id = @keyId;",
            new { accountId, keyId }, ct))?.ToKey();

    /// <inheritdoc />
    public Task<bool> RenameApiKeyAsync(string accountId, string keyId, string name, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("UPDATE api_keys SET name = @name WHERE account_id = @accountId AND id = @keyId;",
            new { accountId, keyId, name }) == 1, ct);

    /// <inheritdoc />
    public Task<bool> RevokeApiKeyAsync(string accountId, string keyId, DateTimeOffset at, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            conn.Execute("UPDATE api_keys SET revoked_at = @at WHERE account_id = @accountId AND id = @keyId AND revoked_at IS NULL;",
                new { accountId, keyId, at = Ms(at) });
            return conn.ExecuteScalar<long>("SELECT COUNT(*) FROM api_keys WHERE account_id = @accountId AND id = @keyId;", new { accountId, keyId }) == 1;
        }, ct);

    private static int InsertApiKey(DbConnection conn, ApiKey key) => conn.Execute("""
        INSERT INTO api_keys (id, account_id, name, prefix, hash, created_at, revoked_at)
        VALUES (@Id, @AccountId, @Name, @Prefix, @Hash, @created, NULL)
        """, new { key.Id, key.AccountId, key.Name, key.Prefix, key.Hash, created = Ms(key.CreatedAt) });
}
