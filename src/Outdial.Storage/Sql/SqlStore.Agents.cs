using Dapper;
using System.Data.Common;
using Outdial.Core.Agents;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore
{
    private sealed record PhoneNumberRow(string id, string account_id, string number, string? label, string provider, string? agent_id,
        double calls_per_second, long created_at, long updated_at)
    {
        public PhoneNumber ToNumber() => new()
        {
            Id = id,
            AccountId = account_id,
            Number = number,
            Label = label,
            Provider = provider,
            AgentId = agent_id,
            CallsPerSecond = calls_per_second,
            CreatedAt = At(created_at),
            UpdatedAt = At(updated_at),
        };
    }

    private const string PhoneNumberColumns = "id, account_id, number, label, provider, agent_id, calls_per_second, created_at, updated_at";

    /// <inheritdoc />
    public Task<UpsertResult> CreateAgentAsync(Agent agent, CancellationToken ct) =>
        ConfigWrittenAsync(agent.AccountId, CreateAgentCoreAsync(agent, ct));

    private Task<UpsertResult> CreateAgentCoreAsync(Agent agent, CancellationToken ct) =>
        WriteUniqueAsync(conn =>
        {
            if (agent.IsDefault)
            {
                ClearDefault(conn, agent);
            }
            InsertAgent(conn, agent);
            return UpsertResult.Ok;
        }, ct);

    /// <inheritdoc />
    public async Task<Agent?> FindAgentByRefAsync(string accountId, string reference, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("""
            SELECT a.doc FROM agent_refs r JOIN agents a ON a.id = r.agent_id
            WHERE r.account_id = @accountId AND r.ref = @reference AND a.deleted_at IS NULL;
            """, new { accountId, reference }, ct);
        return doc is null ? null : FromDoc<Agent>(doc);
    }

    /// <inheritdoc />
    public Task<UpsertResult> UpdateAgentAsync(Agent agent, CancellationToken ct) =>
        ConfigWrittenAsync(agent.AccountId, UpdateAgentCoreAsync(agent, ct));

    private Task<UpsertResult> UpdateAgentCoreAsync(Agent agent, CancellationToken ct) =>
        WriteUniqueAsync(conn =>
        {
            if (agent.IsDefault)
            {
                ClearDefault(conn, agent);
            }
            var rows = conn.Execute("""
                UPDATE agents SET key = @Key, is_default = CAST(@IsDefault AS INTEGER), doc = @doc, updated_at = @updated
                WHERE account_id = @AccountId AND id = @Id AND deleted_at IS NULL
                """, new { agent.Key, agent.IsDefault, doc = ToDoc(agent), updated = Ms(agent.UpdatedAt), agent.AccountId, agent.Id });
            if (rows != 1)
            {
                return UpsertResult.NotFound;
            }
            conn.Execute("DELETE FROM agent_refs WHERE agent_id = @Id;", new { agent.Id });
            InsertRefs(conn, agent);
            return UpsertResult.Ok;
        }, ct);

    /// <inheritdoc />
    public async Task<Agent?> GetAgentAsync(string accountId, string agentId, CancellationToken ct, bool includeDeleted = false)
    {
        var doc = await QuerySingleAsync<string>(includeDeleted
            ? "SELECT doc FROM agents WHERE account_id = @accountId AND id = @agentId;"
            : "SELECT doc FROM agents WHERE account_id = @accountId AND id = @agentId AND deleted_at IS NULL;", new { accountId, agentId }, ct);
        return doc is null ? null : FromDoc<Agent>(doc);
    }

    /// <inheritdoc />
    public async Task<Agent?> FindAgentByKeyAsync(string accountId, string key, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM agents WHERE account_id = @accountId AND key = @key AND deleted_at IS NULL;",
            new { accountId, key }, ct);
        return doc is null ? null : FromDoc<Agent>(doc);
    }

    /// <inheritdoc />
    public async Task<Agent?> GetDefaultAgentAsync(string accountId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM agents WHERE account_id = @accountId AND is_default = 1 AND deleted_at IS NULL;",
            new { accountId }, ct);
        return doc is null ? null : FromDoc<Agent>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Agent>> ListAgentsAsync(string accountId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM agents WHERE account_id = @accountId AND deleted_at IS NULL ORDER BY id;", new { accountId }, ct))
            .Select(FromDoc<Agent>)];

    /// <inheritdoc />
    public Task<UpsertResult> DeleteAgentAsync(string accountId, string agentId, DateTimeOffset at, CancellationToken ct) =>
        ConfigWrittenAsync(accountId, DeleteAgentCoreAsync(accountId, agentId, at, ct));

    private Task<UpsertResult> DeleteAgentCoreAsync(string accountId, string agentId, DateTimeOffset at, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var isDefault = conn.ExecuteScalar<long?>("SELECT is_default FROM agents WHERE account_id = @accountId AND id = @agentId AND deleted_at IS NULL;",
                new { accountId, agentId });
            if (isDefault is null)
            {
                return UpsertResult.NotFound;
            }
            if (isDefault == 1)
            {
                return UpsertResult.Conflict;
            }
            conn.Execute("UPDATE agents SET deleted_at = @at WHERE account_id = @accountId AND id = @agentId AND deleted_at IS NULL;",
                new { accountId, agentId, at = Ms(at) });
            // A deleted agent's references are free for another agent.
            conn.Execute("DELETE FROM agent_refs WHERE agent_id = @agentId;", new { agentId });
            return UpsertResult.Ok;
        }, ct);

    /// <inheritdoc />
    public Task<UpsertResult> CreatePhoneNumberAsync(PhoneNumber number, CancellationToken ct) =>
        ConfigWrittenAsync(number.AccountId, CreatePhoneNumberCoreAsync(number, ct));

    private Task<UpsertResult> CreatePhoneNumberCoreAsync(PhoneNumber number, CancellationToken ct) =>
        WriteUniqueAsync(conn =>
        {
            InsertPhoneNumber(conn, number);
            return UpsertResult.Ok;
        }, ct);

    /// <inheritdoc />
    public Task<UpsertResult> UpdatePhoneNumberAsync(PhoneNumber number, CancellationToken ct) =>
        ConfigWrittenAsync(number.AccountId, UpdatePhoneNumberCoreAsync(number, ct));

    private Task<UpsertResult> UpdatePhoneNumberCoreAsync(PhoneNumber number, CancellationToken ct) =>
        WriteUniqueAsync(conn => conn.Execute("""
            UPDATE phone_numbers SET number = @Number, label = @Label, provider = @Provider, agent_id = @AgentId,
                calls_per_second = @CallsPerSecond, updated_at = @updated
            WHERE account_id = @AccountId AND id = @Id
            """, new { number.Number, number.Label, number.Provider, number.AgentId, number.CallsPerSecond, updated = Ms(number.UpdatedAt), number.AccountId, number.Id }) == 1
            ? UpsertResult.Ok : UpsertResult.NotFound, ct);

    /// <inheritdoc />
    public async Task<PhoneNumber?> GetPhoneNumberAsync(string accountId, string phoneNumberId, CancellationToken ct) =>
        (await QuerySingleAsync<PhoneNumberRow>($"SELECT {PhoneNumberColumns} FROM phone_numbers WHERE account_id = @accountId AND id = @phoneNumberId;",
            new { accountId, phoneNumberId }, ct))?.ToNumber();

    /// <inheritdoc />
    public async Task<PhoneNumber?> FindPhoneNumberAsync(string accountId, string e164, CancellationToken ct) =>
        (await QuerySingleAsync<PhoneNumberRow>($"SELECT {PhoneNumberColumns} FROM phone_numbers WHERE account_id = @accountId AND number = @e164;",
            new { accountId, e164 }, ct))?.ToNumber();

    /// <inheritdoc />
    public async Task<IReadOnlyList<PhoneNumber>> ListPhoneNumbersAsync(string accountId, CancellationToken ct) =>
        [.. (await QueryAsync<PhoneNumberRow>($"SELECT {PhoneNumberColumns} FROM phone_numbers WHERE account_id = @accountId ORDER BY id;", new { accountId }, ct))
            .Select(r => r.ToNumber())];

    /// <inheritdoc />
    public Task<bool> DeletePhoneNumberAsync(string accountId, string phoneNumberId, CancellationToken ct) =>
        ConfigWrittenAsync(accountId, DeletePhoneNumberCoreAsync(accountId, phoneNumberId, ct));

    private Task<bool> DeletePhoneNumberCoreAsync(string accountId, string phoneNumberId, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("DELETE FROM phone_numbers WHERE account_id = @accountId AND id = @phoneNumberId;",
            new { accountId, phoneNumberId }) == 1, ct);

    private void ClearDefault(DbConnection conn, Agent agent) =>
        conn.Execute(Pg
            ? "UPDATE agents SET is_default = 0, doc = jsonb_set(doc::jsonb, '{isDefault}', 'false')::text WHERE account_id = @AccountId AND id <> @Id AND is_default = 1;"
            : "UPDATE agents SET is_default = 0, doc = json_set(doc, '$.isDefault', json('false')) WHERE account_id = @AccountId AND id <> @Id AND is_default = 1;",
            new { agent.AccountId, agent.Id });

    private static void InsertAgent(DbConnection conn, Agent agent)
    {
        conn.Execute("""
            INSERT INTO agents (id, account_id, key, is_default, doc, created_at, updated_at)
            VALUES (@Id, @AccountId, @Key, CAST(@IsDefault AS INTEGER), @doc, @created, @updated)
            """, new { agent.Id, agent.AccountId, agent.Key, agent.IsDefault, doc = ToDoc(agent), created = Ms(agent.CreatedAt), updated = Ms(agent.UpdatedAt) });
        InsertRefs(conn, agent);
    }

    /// <summary>The agent's external references; one another live agent of the account holds fails the write (unique violation → Conflict).</summary>
    private static void InsertRefs(DbConnection conn, Agent agent)
    {
        foreach (var reference in agent.ExternalRefs.Distinct(StringComparer.Ordinal))
        {
            conn.Execute("INSERT INTO agent_refs (account_id, ref, agent_id) VALUES (@AccountId, @reference, @Id);",
                new { agent.AccountId, reference, agent.Id });
        }
    }

    private static void InsertPhoneNumber(DbConnection conn, PhoneNumber n) => conn.Execute("""
        INSERT INTO phone_numbers (id, account_id, number, label, provider, agent_id, calls_per_second, created_at, updated_at)
        VALUES (@Id, @AccountId, @Number, @Label, @Provider, @AgentId, @CallsPerSecond, @created, @updated)
        """, new { n.Id, n.AccountId, n.Number, n.Label, n.Provider, n.AgentId, n.CallsPerSecond, created = Ms(n.CreatedAt), updated = Ms(n.UpdatedAt) });
}
