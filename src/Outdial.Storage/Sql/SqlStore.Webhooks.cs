using System.Text;
using Dapper;
using System.Data.Common;
using Outdial.Core.Common;
using Outdial.Core.Webhooks;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : IWebhookStore
{
    private const string DeliveryColumns = """
        id, account_id, endpoint_id, destination, call_id, event_id, event_type, sequence, url, secret, body, status,
        series_attempts, next_attempt_at, created_at, updated_at, format, batched
        """;

    private sealed record DeliveryRow(
        string id, string account_id, string? endpoint_id, string destination, string? call_id, string event_id, string event_type,
        long sequence, string url, string? secret, string body, string status, long series_attempts, long? next_attempt_at,
        long created_at, long updated_at, string? format, long batched);

    private sealed record AttemptRow(string delivery_id, long number, long at, long? status_code, long latency_ms, string? response_excerpt, string? error);

    /// <inheritdoc />
    public Task CreateEndpointAsync(WebhookEndpoint endpoint, CancellationToken ct) =>
        ConfigWrittenAsync(endpoint.AccountId, CreateEndpointCoreAsync(endpoint, ct));

    private Task CreateEndpointCoreAsync(WebhookEndpoint endpoint, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("""
            INSERT INTO webhook_endpoints (id, account_id, enabled, created_at, doc) VALUES (@Id, @AccountId, CAST(@enabled AS INTEGER), @created, @doc)
            """, new { endpoint.Id, endpoint.AccountId, enabled = endpoint.Enabled, created = Ms(endpoint.CreatedAt), doc = ToDoc(endpoint) }), ct);

    /// <inheritdoc />
    public async Task<WebhookEndpoint?> GetEndpointAsync(string accountId, string endpointId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM webhook_endpoints WHERE account_id = @accountId AND id = @endpointId;",
            new { accountId, endpointId }, ct);
        return doc is null ? null : FromDoc<WebhookEndpoint>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookEndpoint>> ListEndpointsAsync(string accountId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM webhook_endpoints WHERE account_id = @accountId ORDER BY id;", new { accountId }, ct))
            .Select(FromDoc<WebhookEndpoint>)];

    /// <inheritdoc />
    public Task<WebhookEndpoint?> UpdateEndpointAsync(string accountId, string endpointId, Func<WebhookEndpoint, WebhookEndpoint> change, CancellationToken ct) =>
        ConfigWrittenAsync(accountId, UpdateEndpointCoreAsync(accountId, endpointId, change, ct));

    private Task<WebhookEndpoint?> UpdateEndpointCoreAsync(string accountId, string endpointId, Func<WebhookEndpoint, WebhookEndpoint> change, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var doc = conn.QuerySingleOrDefault<string>("SELECT doc FROM webhook_endpoints WHERE account_id = @accountId AND id = @endpointId;",
                new { accountId, endpointId });
            if (doc is null)
            {
                return null;
            }
            var before = FromDoc<WebhookEndpoint>(doc);
            var after = change(before) with { Id = before.Id, AccountId = before.AccountId, CreatedAt = before.CreatedAt };
            SaveEndpoint(conn, after);
            if (before.Enabled && !after.Enabled)
            {
                FailPending(conn, after.Id, "endpoint_disabled", after.UpdatedAt);
            }
            return after;
        }, ct);

    /// <inheritdoc />
    public Task<bool> DeleteEndpointAsync(string accountId, string endpointId, DateTimeOffset now, CancellationToken ct) =>
        ConfigWrittenAsync(accountId, DeleteEndpointCoreAsync(accountId, endpointId, now, ct));

    private Task<bool> DeleteEndpointCoreAsync(string accountId, string endpointId, DateTimeOffset now, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            if (conn.Execute("DELETE FROM webhook_endpoints WHERE account_id = @accountId AND id = @endpointId;", new { accountId, endpointId }) == 0)
            {
                return false;
            }
            FailPending(conn, endpointId, "endpoint_deleted", now);
            return true;
        }, ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookSecret>> GetSigningSecretsAsync(string accountId, DateTimeOffset now, Func<string> generate, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM webhook_signing_secrets WHERE account_id = @accountId;", new { accountId }, ct);
        if (doc is not null)
        {
            return FromDoc<List<WebhookSecret>>(doc);
        }
        return await UpdateSigningSecretsAsync(accountId, current => current.Count > 0 ? current : [new WebhookSecret(generate(), now, null)], ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookSecret>> UpdateSigningSecretsAsync(string accountId,
        Func<IReadOnlyList<WebhookSecret>, IReadOnlyList<WebhookSecret>> change, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var doc = conn.QuerySingleOrDefault<string>("SELECT doc FROM webhook_signing_secrets WHERE account_id = @accountId;", new { accountId });
            var after = change(doc is null ? [] : FromDoc<List<WebhookSecret>>(doc));
            conn.Execute("""
                INSERT INTO webhook_signing_secrets (account_id, doc) VALUES (@accountId, @doc)
                ON CONFLICT (account_id) DO UPDATE SET doc = excluded.doc
                """, new { accountId, doc = ToDoc(after) });
            return after;
        }, ct);

    /// <inheritdoc />
    public Task<long> CountDueDeliveriesAsync(DateTimeOffset now, CancellationToken ct) =>
        engine.ReadAsync(conn => conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= @now;", new { now = Ms(now) }, cancellationToken: ct)), ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct) =>
        engine.ClaimAsync<IReadOnlyList<WebhookDelivery>>(conn =>
        {
            var rows = conn.Query<DeliveryRow>($"""
                SELECT {DeliveryColumns} FROM webhook_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now
                  AND (d.lease_until IS NULL OR d.lease_until <= @now)
                  AND NOT EXISTS (
                      SELECT 1 FROM webhook_deliveries p
                      WHERE p.call_id = d.call_id AND p.destination = d.destination AND p.status = 'pending' AND p.sequence < d.sequence)
                ORDER BY d.next_attempt_at
                LIMIT @limit{SkipLocked("d")}
                """, new { now = Ms(now), limit }).AsList();
            if (rows.Count > 0)
            {
                conn.Execute($"UPDATE webhook_deliveries SET lease_token = @leaseToken, lease_until = @until WHERE {InList("id", "ids")};",
                    new { leaseToken, until = Ms(now + leaseFor), ids = rows.Select(r => r.id).ToArray() });
            }
            return [.. rows.Select(r => ToDelivery(r, []))];
        }, ct);

    /// <inheritdoc />
    public async Task RecordAttemptAsync(WebhookAttemptOutcome outcome, CancellationToken ct)
    {
        if (await RecordAttemptCoreAsync(outcome, ct) is { } endpointChangedIn)
        {
            config?.Notify(endpointChangedIn);
        }
    }

    /// <summary>Returns the account whose endpoint the attempt changed (failure tracking, disabling), or null.</summary>
    private Task<string?> RecordAttemptCoreAsync(WebhookAttemptOutcome outcome, CancellationToken ct) =>
        NotifyAfter(engine.WriteAsync<string?>(conn =>
        {
            var row = conn.QuerySingleOrDefault<DeliveryRow>($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE id = @DeliveryId;", new { outcome.DeliveryId });
            if (row is null)
            {
                return null;
            }
            var attempt = outcome.Attempt;
            var number = conn.QuerySingle<long>("SELECT COALESCE(MAX(number), 0) + 1 FROM webhook_attempts WHERE delivery_id = @DeliveryId;", new { outcome.DeliveryId });
            conn.Execute("""
                INSERT INTO webhook_attempts (delivery_id, number, at, status_code, latency_ms, response_excerpt, error)
                VALUES (@DeliveryId, @number, @at, @StatusCode, @LatencyMs, @ResponseExcerpt, @Error)
                """, new { outcome.DeliveryId, number, at = Ms(attempt.At), attempt.StatusCode, attempt.LatencyMs, attempt.ResponseExcerpt, attempt.Error });
            var applied = conn.Execute("""
                UPDATE webhook_deliveries SET status = @status, series_attempts = series_attempts + 1, next_attempt_at = @next,
                    lease_token = NULL, lease_until = NULL, updated_at = @at
                WHERE id = @DeliveryId AND lease_token = @LeaseToken AND status = 'pending'
                """, new
            {
                status = WireNames.Of(outcome.Next),
                next = Ms(outcome.NextAttemptAt),
                at = Ms(attempt.At),
                outcome.DeliveryId,
                outcome.LeaseToken,
            });
            // A late answer from a node that lost its lease is logged but decides nothing, for the endpoint neither.
            return applied == 1 && row.endpoint_id is { } endpointId && TrackEndpoint(conn, row.account_id, endpointId, outcome) ? row.account_id : null;
        }, ct));

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(WebhookDeliveryQuery q, CancellationToken ct)
    {
        // Only fixed fragments are appended; every value is a parameter.
        var sql = new StringBuilder($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE account_id = @AccountId");
        if (q.Cursor is not null) sql.Append(" AND id < @Cursor");
        if (q.EndpointId is not null) sql.Append(" AND endpoint_id = @EndpointId");
        if (q.CallId is not null) sql.Append(" AND call_id = @CallId");
        if (q.Status is not null) sql.Append(" AND status = @status");
        if (q.EventType is not null) sql.Append(" AND event_type = @EventType");
        sql.Append(" ORDER BY id DESC LIMIT @Limit;");
        return await engine.ReadAsync<IReadOnlyList<WebhookDelivery>>(async conn =>
        {
            // One snapshot for both reads: an attempt recorded between them would otherwise show beside the status before it.
            using var read = engine.BeginSnapshot(conn);
            var rows = (await conn.QueryAsync<DeliveryRow>(new CommandDefinition(sql.ToString(), new
            {
                q.AccountId,
                q.Cursor,
                q.EndpointId,
                q.CallId,
                status = q.Status is { } s ? WireNames.Of(s) : null,
                q.EventType,
                q.Limit,
            }, read, cancellationToken: ct))).AsList();
            if (rows.Count == 0)
            {
                return [];
            }
            var attempts = (await conn.QueryAsync<AttemptRow>(new CommandDefinition(
                $"SELECT delivery_id, number, at, status_code, latency_ms, response_excerpt, error FROM webhook_attempts WHERE {InList("delivery_id", "ids")} ORDER BY number;",
                new { ids = rows.Select(r => r.id).ToArray() }, read, cancellationToken: ct)))
                .ToLookup(a => a.delivery_id, StringComparer.Ordinal);
            return [.. rows.Select(r => ToDelivery(r, attempts[r.id]))];
        }, ct);
    }

    /// <inheritdoc />
    public Task<WebhookDelivery?> GetDeliveryAsync(string accountId, string deliveryId, CancellationToken ct) =>
        engine.ReadAsync(conn =>
        {
            using var read = engine.BeginSnapshot(conn); // the delivery and its attempts as of one moment
            return Task.FromResult(ReadDelivery(conn, accountId, deliveryId, read));
        }, ct);

    /// <inheritdoc />
    public Task<WebhookDelivery?> RedeliverAsync(string accountId, string deliveryId, DateTimeOffset now, CancellationToken ct) =>
        NotifyAfter(engine.WriteAsync(conn =>
        {
            var rows = conn.Execute("""
                UPDATE webhook_deliveries SET status = 'pending', series_attempts = 0, next_attempt_at = @now, updated_at = @now
                WHERE account_id = @accountId AND id = @deliveryId
                """, new { accountId, deliveryId, now = Ms(now) });
            return rows == 0 ? null : ReadDelivery(conn, accountId, deliveryId);
        }, ct));

    /// <inheritdoc />
    public Task<int> ReplayAsync(string accountId, string endpointId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken ct) =>
        NotifyAfter(engine.WriteAsync(conn => conn.Execute("""
            UPDATE webhook_deliveries SET status = 'pending', series_attempts = 0, next_attempt_at = @now, updated_at = @now
            WHERE account_id = @accountId AND endpoint_id = @endpointId AND status = 'failed' AND created_at >= @from AND created_at < @to
            """, new { accountId, endpointId, from = Ms(from), to = Ms(to), now = Ms(now) }), ct));

    /// <summary>Inserts the outbox rows planned by Core (<see cref="WebhookOutbox.Plan"/>), pending and due at their next attempt time.</summary>
    private static void InsertDeliveries(DbConnection conn, IReadOnlyList<WebhookDelivery> deliveries)
    {
        foreach (var d in deliveries)
        {
            conn.Execute($"""
                INSERT INTO webhook_deliveries ({DeliveryColumns})
                VALUES (@Id, @AccountId, @EndpointId, @Destination, @CallId, @EventId, @EventType, @Sequence, @Url, @Secret, @Body, 'pending',
                        0, @next, @created, @created, @Format, CAST(@Batched AS INTEGER))
                """, new
            {
                d.Id,
                d.AccountId,
                d.EndpointId,
                d.Destination,
                d.CallId,
                d.EventId,
                d.EventType,
                d.Sequence,
                d.Url,
                d.Secret,
                d.Body,
                d.Format,
                d.Batched,
                next = Ms(d.NextAttemptAt),
                created = Ms(d.CreatedAt),
            });
        }
    }

    private static void SaveEndpoint(DbConnection conn, WebhookEndpoint endpoint) =>
        conn.Execute("UPDATE webhook_endpoints SET enabled = CAST(@enabled AS INTEGER), doc = @doc WHERE id = @Id;",
            new { enabled = endpoint.Enabled, doc = ToDoc(endpoint), endpoint.Id });

    /// <summary>Ends the endpoint's pending deliveries as failed, noting why in the attempt log.</summary>
    private static void FailPending(DbConnection conn, string endpointId, string reason, DateTimeOffset at)
    {
        conn.Execute("""
            INSERT INTO webhook_attempts (delivery_id, number, at, status_code, latency_ms, response_excerpt, error)
            SELECT d.id, COALESCE((SELECT MAX(a.number) FROM webhook_attempts a WHERE a.delivery_id = d.id), 0) + 1, @at, NULL, 0, NULL, @reason
            FROM webhook_deliveries d WHERE d.endpoint_id = @endpointId AND d.status = 'pending'
            """, new { endpointId, reason, at = Ms(at) });
        conn.Execute("""
            UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_token = NULL, lease_until = NULL, updated_at = @at
            WHERE endpoint_id = @endpointId AND status = 'pending'
            """, new { endpointId, at = Ms(at) });
    }

    /// <summary>
    /// Failure tracking: success clears <c>failingSince</c>; failures set it and disable the endpoint on 410 or after the
    /// limit. Returns whether the endpoint changed.
    /// </summary>
    private static bool TrackEndpoint(DbConnection conn, string accountId, string endpointId, WebhookAttemptOutcome outcome)
    {
        var doc = conn.QuerySingleOrDefault<string>("SELECT doc FROM webhook_endpoints WHERE account_id = @accountId AND id = @endpointId;",
            new { accountId, endpointId });
        if (doc is null)
        {
            return false;
        }
        var endpoint = FromDoc<WebhookEndpoint>(doc);
        if (!endpoint.Enabled)
        {
            return false;
        }
        var at = outcome.Attempt.At;
        WebhookEndpoint next;
        if (outcome.Next == WebhookDeliveryStatus.Succeeded)
        {
            if (endpoint.FailingSince is null)
            {
                return false;
            }
            next = endpoint with { FailingSince = null };
        }
        else
        {
            var since = endpoint.FailingSince ?? at;
            var disable = outcome.DisableEndpoint ?? (at - since >= outcome.DisableAfter ? "failing" : null);
            next = endpoint with { FailingSince = since };
            if (disable is not null)
            {
                next = next with { Enabled = false, DisabledReason = disable, DisabledAt = at, UpdatedAt = at };
            }
            if (next == endpoint)
            {
                return false;
            }
        }
        SaveEndpoint(conn, next);
        if (!next.Enabled)
        {
            FailPending(conn, endpointId, "endpoint_disabled", at);
        }
        return true;
    }

    private static WebhookDelivery? ReadDelivery(DbConnection conn, string accountId, string deliveryId, DbTransaction? read = null)
    {
        var row = conn.QuerySingleOrDefault<DeliveryRow>($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE account_id = @accountId AND id = @deliveryId;",
            new { accountId, deliveryId }, read);
        if (row is null)
        {
            return null;
        }
        var attempts = conn.Query<AttemptRow>(
            "SELECT delivery_id, number, at, status_code, latency_ms, response_excerpt, error FROM webhook_attempts WHERE delivery_id = @deliveryId ORDER BY number;",
            new { deliveryId }, read);
        return ToDelivery(row, attempts);
    }

    private static WebhookDelivery ToDelivery(DeliveryRow r, IEnumerable<AttemptRow> attempts) => new()
    {
        Id = r.id,
        AccountId = r.account_id,
        EndpointId = r.endpoint_id,
        Destination = r.destination,
        CallId = r.call_id,
        EventId = r.event_id,
        EventType = r.event_type,
        Sequence = r.sequence,
        Url = r.url,
        Secret = r.secret,
        Body = r.body,
        Format = r.format,
        Batched = r.batched != 0,
        Status = WireNames.TryParse<WebhookDeliveryStatus>(r.status, out var status) ? status : WebhookDeliveryStatus.Pending,
        SeriesAttempts = (int)r.series_attempts,
        NextAttemptAt = r.next_attempt_at is { } next ? At(next) : null,
        CreatedAt = At(r.created_at),
        UpdatedAt = At(r.updated_at),
        Attempts = [.. attempts.Select(a => new WebhookAttempt((int)a.number, At(a.at), (int?)a.status_code, a.latency_ms, a.response_excerpt, a.error))],
    };

    private Task<T> NotifyAfter<T>(Task<T> write) => write.ContinueWith(t =>
    {
        var result = t.GetAwaiter().GetResult();
        signal?.Notify();
        return result;
    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
