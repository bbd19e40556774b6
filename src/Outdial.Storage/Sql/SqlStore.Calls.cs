using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using System.Data.Common;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore
{
    private const string PendingOrActive = "('scheduled', 'queued', 'dialing', 'ringing', 'in_progress')";

    private const string Active = "('dialing', 'ringing', 'in_progress')";

    private sealed record IdempotencyRow(string request_hash, long response_status, string response_body, long created_at);

    private sealed record EventRow(string id, string call_id, string account_id, long sequence, string type, long at, string data);

    private sealed record VersionedRow(string doc, long version, string? lease_token);

    private sealed record FenceRow(long version, string? lease_token);

    /// <inheritdoc />
    public Task<CreateCallResult> CreateCallAsync(NewCall newCall, CancellationToken ct) =>
        engine.WriteAsync<CreateCallResult>(conn =>
        {
            var call = newCall.Call;
            if (newCall.Idempotency is { } idem)
            {
                var prior = conn.QuerySingleOrDefault<IdempotencyRow>(
                    "SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE account_id = @AccountId AND key = @Key;",
                    new { call.AccountId, idem.Key });
                if (prior is not null && At(prior.created_at) > newCall.IdempotencyValidAfter)
                {
                    return prior.request_hash == idem.RequestHash
                        ? new CreateCallResult.Replay((int)prior.response_status, prior.response_body)
                        : new CreateCallResult.KeyReused();
                }
                conn.Execute("DELETE FROM idempotency_keys WHERE account_id = @AccountId AND key = @Key;", new { call.AccountId, idem.Key });
            }
            var guarded = conn.Execute("""
                INSERT INTO active_call_guard (account_id, to_number, campaign_key, call_id) VALUES (@AccountId, @To, @CampaignKey, @Id)
                ON CONFLICT DO NOTHING
                """, new { call.AccountId, call.To, call.CampaignKey, call.Id });
            if (guarded == 0 && !call.AllowDuplicates)
            {
                var existing = conn.QuerySingle<string>("""
                    SELECT c.doc FROM active_call_guard g JOIN calls c ON c.id = g.call_id
                    WHERE g.account_id = @AccountId AND g.to_number = @To AND g.campaign_key = @CampaignKey
                    """, new { call.AccountId, call.To, call.CampaignKey });
                return new CreateCallResult.Duplicate(FromDoc<Call>(existing));
            }
            conn.Execute("""
                INSERT INTO calls (id, account_id, status, outcome, to_number, agent_id, campaign_id, contact_id, is_test, status_reason,
                    due_at, expires_at, created_at, updated_at, doc)
                VALUES (@Id, @AccountId, @status, NULL, @To, @AgentId, @CampaignId, @ContactId, CAST(@IsTest AS INTEGER), @StatusReason,
                    @due, @expires, @created, @created, @doc)
                """, new
            {
                call.Id,
                call.AccountId,
                status = call.Status.ToWire(),
                call.To,
                call.AgentId,
                call.CampaignId,
                call.ContactId,
                call.IsTest,
                call.StatusReason,
                due = Ms(call.DueAt),
                expires = Ms(call.ExpiresAt),
                created = Ms(call.CreatedAt),
                doc = ToDoc(call),
            });
            InsertEvents(conn, newCall.Events);
            InsertDeliveries(conn, newCall.Deliveries);
            if (newCall.Idempotency is { } record)
            {
                conn.Execute("""
                    INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, response_body, created_at)
                    VALUES (@AccountId, @Key, @RequestHash, @ResponseStatus, @ResponseBody, @created)
                    """, new { call.AccountId, record.Key, record.RequestHash, record.ResponseStatus, record.ResponseBody, created = Ms(call.CreatedAt) });
            }
            return new CreateCallResult.Created(call);
        }, ct);

    /// <inheritdoc />
    public async Task<IdempotencyRecord?> FindIdempotencyRecordAsync(string accountId, string key, DateTimeOffset createdAfter, CancellationToken ct)
    {
        var row = await QuerySingleAsync<IdempotencyRow>("""
            SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys
            WHERE account_id = @accountId AND key = @key AND created_at > @after
            """, new { accountId, key, after = Ms(createdAfter) }, ct);
        return row is null ? null : new IdempotencyRecord(key, row.request_hash, (int)row.response_status, row.response_body);
    }

    /// <inheritdoc />
    public async Task<Call?> GetCallAsync(string accountId, string callId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM calls WHERE account_id = @accountId AND id = @callId;", new { accountId, callId }, ct);
        return doc is null ? null : FromDoc<Call>(doc);
    }

    /// <inheritdoc />
    public async Task<Call?> GetCallByIdAsync(string callId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM calls WHERE id = @callId;", new { callId }, ct);
        return doc is null ? null : FromDoc<Call>(doc);
    }

    /// <inheritdoc />
    public async Task<StoredCall?> GetStoredCallAsync(string callId, CancellationToken ct)
    {
        var row = await QuerySingleAsync<VersionedRow>("SELECT doc, version, lease_token FROM calls WHERE id = @callId;", new { callId }, ct);
        return row is null ? null : new StoredCall(FromDoc<Call>(row.doc), row.version, row.lease_token);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Call>> ListCallsAsync(CallQuery q, CancellationToken ct)
    {
        // Only fixed fragments are appended; every value is a parameter.
        var sql = new StringBuilder("SELECT doc FROM calls WHERE account_id = @AccountId");
        if (q.Cursor is not null) sql.Append(" AND id < @Cursor");
        if (q.Status is not null) sql.Append(" AND status = @status");
        if (q.Outcome is not null) sql.Append(" AND outcome = @outcome");
        if (q.AgentId is not null) sql.Append(" AND agent_id = @AgentId");
        if (q.CampaignId is not null) sql.Append(" AND campaign_id = @CampaignId");
        if (q.To is not null) sql.Append(" AND to_number = @To");
        if (q.CreatedFrom is not null) sql.Append(" AND created_at >= @from");
        if (q.CreatedTo is not null) sql.Append(" AND created_at < @to");
        sql.Append(" ORDER BY id DESC LIMIT @Limit;");
        var docs = await QueryAsync<string>(sql.ToString(), new
        {
            q.AccountId,
            q.Cursor,
            status = q.Status?.ToWire(),
            outcome = q.Outcome?.ToWire(),
            q.AgentId,
            q.CampaignId,
            q.To,
            from = Ms(q.CreatedFrom),
            to = Ms(q.CreatedTo),
            q.Limit,
        }, ct);
        return [.. docs.Select(FromDoc<Call>)];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallEvent>> ListEventsAsync(string callId, CancellationToken ct) =>
        [.. (await QueryAsync<EventRow>("SELECT id, call_id, account_id, sequence, type, at, data FROM call_events WHERE call_id = @callId ORDER BY sequence;",
            new { callId }, ct))
            .Select(r => new CallEvent(r.id, r.call_id, r.account_id, r.sequence, r.type, At(r.at), (JsonObject)JsonNode.Parse(r.data)!))];

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallEvent>> ListAccountEventsAsync(string accountId, string? afterId, int limit, CancellationToken ct) =>
        [.. (await QueryAsync<EventRow>("""
            SELECT id, call_id, account_id, sequence, type, at, data FROM call_events
            WHERE account_id = @accountId AND (@afterId IS NULL OR id > @afterId) ORDER BY id LIMIT @limit;
            """, new { accountId, afterId, limit }, ct))
            .Select(r => new CallEvent(r.id, r.call_id, r.account_id, r.sequence, r.type, At(r.at), (JsonObject)JsonNode.Parse(r.data)!))];

    /// <inheritdoc />
    public async Task<IReadOnlyList<Attempt>> ListAttemptsAsync(string callId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM call_attempts WHERE call_id = @callId ORDER BY number;", new { callId }, ct)).Select(FromDoc<Attempt>)];

    /// <inheritdoc />
    public Task<long> CountDueCallsAsync(DateTimeOffset now, CancellationToken ct) =>
        engine.ReadAsync(conn => conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM calls WHERE status IN ('scheduled', 'queued') AND due_at <= @now;", new { now = Ms(now) }, cancellationToken: ct)), ct);

    /// <inheritdoc />
    /// <remarks>
    /// Two index-driven reads rather than one with <c>due_at &lt;= now OR expires_at &lt;= now</c>, which no index serves (it
    /// read every queued call on every claim): the due calls in due order (<c>ix_calls_due</c>), then, to fill the batch,
    /// calls not yet due whose expiry has passed (<c>ix_calls_expiring</c>), so that they expire on time.
    /// </remarks>
    public Task<IReadOnlyList<Call>> ClaimDueCallsAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct) =>
        engine.ClaimAsync<IReadOnlyList<Call>>(conn =>
        {
            // A call of a campaign that is not active (draft, paused, finished, deleted) waits: it is neither dialed nor
            // expired until the campaign runs again. A campaign id naming no stored campaign does not hold a call back.
            const string Claimable = """
                  AND (c.lease_until IS NULL OR c.lease_until <= @now)
                  AND (c.campaign_id IS NULL OR NOT EXISTS (
                      SELECT 1 FROM campaigns k WHERE k.id = c.campaign_id AND (k.status <> 'active' OR k.deleted_at IS NOT NULL)))
                """;
            var docs = conn.Query<string>($"""
                SELECT c.doc FROM calls c
                WHERE c.status IN ('scheduled', 'queued') AND c.due_at <= @now
                {Claimable}
                ORDER BY c.due_at
                LIMIT @limit{SkipLocked("c")}
                """, new { now = Ms(now), limit }).AsList();
            if (docs.Count < limit)
            {
                docs.AddRange(conn.Query<string>($"""
                    SELECT c.doc FROM calls c
                    WHERE c.status IN ('scheduled', 'queued') AND c.expires_at IS NOT NULL AND c.expires_at <= @now AND c.due_at > @now
                    {Claimable}
                    ORDER BY c.expires_at
                    LIMIT @rest{SkipLocked("c")}
                    """, new { now = Ms(now), rest = limit - docs.Count }));
            }
            var claimed = docs.Select(FromDoc<Call>).ToList();
            if (claimed.Count > 0)
            {
                conn.Execute($"UPDATE calls SET lease_token = @leaseToken, lease_until = @until WHERE {InList("id", "ids")};",
                    new { leaseToken, until = Ms(now + leaseFor), ids = claimed.Select(c => c.Id).ToArray() });
            }
            return claimed;
        }, ct);

    /// <inheritdoc />
    public async Task<DateTimeOffset?> NextDueAtAsync(DateTimeOffset after, CancellationToken ct) =>
        await QuerySingleAsync<long?>("SELECT MIN(due_at) FROM calls WHERE status IN ('scheduled', 'queued') AND due_at > @after;",
            new { after = Ms(after) }, ct) is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    /// <inheritdoc />
    public Task<CallWriteResult> TryWriteAsync(CallWrite write, CancellationToken ct) =>
        engine.WriteAsync(conn => Write(conn, write), ct);

    /// <summary>
    /// Persists <paramref name="write"/> inside the writer's transaction: every fence is checked before anything is written
    /// (the single writer makes check and write one step), so a refused write leaves nothing behind.
    /// </summary>
    private CallWriteResult Write(DbConnection conn, CallWrite write)
    {
        var next = write.Next;
        var row = conn.QuerySingleOrDefault<FenceRow>(Pg ? "SELECT version, lease_token FROM calls WHERE id = @Id FOR UPDATE;" : "SELECT version, lease_token FROM calls WHERE id = @Id;",
            new { next.Id });
        if (row is null || row.version != write.ExpectedVersion || (write.LeaseToken is not null && row.lease_token != write.LeaseToken))
        {
            return CallWriteResult.CallChanged;
        }
        if (write.AttemptUpdate is { } update && !TryUpdateAttempt(conn, update))
        {
            return CallWriteResult.Refused;
        }
        if (write.Capacity is { } cap && AtCapacity(conn, cap))
        {
            return CallWriteResult.AtCapacity;
        }
        conn.Execute("""
            UPDATE calls SET status = @status, outcome = @outcome, status_reason = @StatusReason, due_at = @due, updated_at = @updated, doc = @doc,
                version = version + 1,
                lease_token = CASE WHEN @ReleaseLease THEN NULL ELSE lease_token END,
                lease_until = CASE WHEN @ReleaseLease THEN NULL ELSE lease_until END
            WHERE id = @Id
            """, new
        {
            status = next.Status.ToWire(),
            outcome = next.Outcome?.ToWire(),
            next.StatusReason,
            due = Ms(next.DueAt),
            updated = Ms(next.UpdatedAt),
            doc = ToDoc(next),
            write.ReleaseLease,
            next.Id,
        });
        if (write.NewAttempt is { } attempt)
        {
            conn.Execute("""
                INSERT INTO call_attempts (id, call_id, number, provider, provider_call_id, status, updated_at, version, doc, awaits_recording)
                VALUES (@Id, @CallId, @Number, @Provider, @ProviderCallId, @status, @updated, @Version, @doc, CAST(@AwaitsRecording AS INTEGER))
                """, new
            {
                attempt.AwaitsRecording,
                attempt.Id,
                attempt.CallId,
                attempt.Number,
                attempt.Provider,
                attempt.ProviderCallId,
                status = WireNames.Of(attempt.Status),
                updated = Ms(attempt.UpdatedAt),
                attempt.Version,
                doc = ToDoc(attempt),
            });
            // The frequency cap's log: every dial, written with its attempt (IComplianceStore.ListDialTimesAsync).
            conn.Execute("INSERT INTO dial_log (account_id, number, at) VALUES (@AccountId, @To, @at);",
                new { attempt.AccountId, attempt.To, at = Ms(attempt.CreatedAt) });
        }
        if (write.AddDnc is { } dnc)
        {
            AddDnc(conn, dnc);
        }
        if (write.NewAnalysis is { } analysis)
        {
            InsertAnalysis(conn, analysis);
        }
        InsertEvents(conn, write.Events);
        InsertDeliveries(conn, write.Deliveries);
        if (write.ReleaseDuplicateGuard)
        {
            ReleaseGuard(conn, next);
        }
        return CallWriteResult.Written;
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAttemptAsync(Attempt attempt, CancellationToken ct) =>
        engine.WriteAsync(conn => TryUpdateAttempt(conn, attempt), ct);

    /// <inheritdoc />
    public async Task<Attempt?> GetAttemptAsync(string attemptId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM call_attempts WHERE id = @attemptId;", new { attemptId }, ct);
        return doc is null ? null : FromDoc<Attempt>(doc);
    }

    /// <inheritdoc />
    public async Task<Attempt?> FindAttemptByProviderCallIdAsync(string provider, string providerCallId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM call_attempts WHERE provider = @provider AND provider_call_id = @providerCallId;",
            new { provider, providerCallId }, ct);
        return doc is null ? null : FromDoc<Attempt>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Attempt>> ListStaleAttemptsAsync(DateTimeOffset updatedBefore, int limit, CancellationToken ct) =>
        [.. (await QueryAsync<string>("""
            SELECT doc FROM call_attempts WHERE status <> 'completed' AND updated_at < @before ORDER BY updated_at LIMIT @limit
            """, new { before = Ms(updatedBefore), limit }, ct)).Select(FromDoc<Attempt>)];

    /// <inheritdoc />
    public async Task<IReadOnlyList<Attempt>> ListAttemptsAwaitingRecordingAsync(DateTimeOffset updatedAfter, DateTimeOffset updatedBefore, int limit, CancellationToken ct) =>
        [.. (await QueryAsync<string>("""
            SELECT doc FROM call_attempts WHERE awaits_recording = 1 AND updated_at >= @after AND updated_at < @before ORDER BY updated_at LIMIT @limit
            """, new { after = Ms(updatedAfter), before = Ms(updatedBefore), limit }, ct)).Select(FromDoc<Attempt>)];

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> CountActiveCallsAsync(CancellationToken ct) =>
        (await QueryAsync<(string AccountId, long Count)>(
            "SELECT account_id, COUNT(*) FROM calls WHERE status IN ('dialing', 'ringing', 'in_progress') GROUP BY account_id;", null, ct))
            .ToDictionary(r => r.AccountId, r => (int)r.Count, StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<bool> IsOnDncAsync(string accountId, string e164, CancellationToken ct) =>
        await QuerySingleAsync<long?>("SELECT 1 FROM dnc_entries WHERE account_id = @accountId AND number = @e164;", new { accountId, e164 }, ct) is not null;

    /// <inheritdoc />
    public Task<int> PurgeIdempotencyKeysAsync(DateTimeOffset before, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            // Claims left by nodes that died mid-request have long expired by then.
            conn.Execute("DELETE FROM claims WHERE expires_at < @before;", new { before = Ms(before) });
            return conn.Execute("DELETE FROM idempotency_keys WHERE created_at < @before;", new { before = Ms(before) });
        }, ct);

    private static bool TryUpdateAttempt(DbConnection conn, Attempt attempt) => conn.Execute("""
        UPDATE call_attempts SET provider_call_id = @ProviderCallId, status = @status, updated_at = @updated, version = @Version, doc = @doc,
            awaits_recording = CAST(@AwaitsRecording AS INTEGER)
        WHERE id = @Id AND version = @previous
        """, new
    {
        attempt.AwaitsRecording,
        attempt.ProviderCallId,
        status = WireNames.Of(attempt.Status),
        updated = Ms(attempt.UpdatedAt),
        attempt.Version,
        doc = ToDoc(attempt),
        attempt.Id,
        previous = attempt.Version - 1,
    }) == 1;

    /// <summary>
    /// Counts the active calls the limits name inside the write's transaction: on SQLite the single writer, on PostgreSQL the
    /// serializable transaction (two nodes that both counted one below the limit cannot both commit), so a limit holds
    /// across nodes. Reads the small partial index of active calls.
    /// </summary>
    private static bool AtCapacity(DbConnection conn, ActiveCallLimit cap) =>
        conn.ExecuteScalar<long>($"SELECT COUNT(*) FROM calls WHERE account_id = @AccountId AND status IN {Active};", new { cap.AccountId }) >= cap.AccountMax
        || (cap.CampaignId is not null && cap.CampaignMax is { } max
            && conn.ExecuteScalar<long>($"SELECT COUNT(*) FROM calls WHERE campaign_id = @CampaignId AND status IN {Active};", new { cap.CampaignId }) >= max);

    /// <summary>Inserts events numbered by <see cref="CallTransition"/>.</summary>
    private static void InsertEvents(DbConnection conn, IReadOnlyList<CallEvent> events)
    {
        foreach (var e in events)
        {
            conn.Execute("""
                INSERT INTO call_events (id, call_id, account_id, sequence, type, at, data) VALUES (@Id, @CallId, @AccountId, @Sequence, @Type, @at, @data)
                """, new { e.Id, e.CallId, e.AccountId, e.Sequence, e.Type, at = Ms(e.At), data = e.Data.ToJsonString() });
        }
    }

    /// <summary>Frees the duplicate guard held by a call that reached a terminal state, handing it to another live call to the same number if any.</summary>
    private static void ReleaseGuard(DbConnection conn, Call call)
    {
        if (conn.Execute("DELETE FROM active_call_guard WHERE call_id = @Id;", new { call.Id }) == 0)
        {
            return;
        }
        conn.Execute($"""
            INSERT INTO active_call_guard (account_id, to_number, campaign_key, call_id)
            SELECT account_id, to_number, COALESCE(campaign_id, ''), id FROM calls
            WHERE account_id = @AccountId AND to_number = @To AND COALESCE(campaign_id, '') = @CampaignKey
              AND status IN {PendingOrActive} AND id <> @Id
            ORDER BY id LIMIT 1
            ON CONFLICT DO NOTHING
            """, new { call.AccountId, call.To, call.CampaignKey, call.Id });
    }
}
