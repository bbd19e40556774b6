using Dapper;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : IIdempotencyClaimStore
{
    /// <inheritdoc />
    public Task<bool> TryClaimIdempotencyKeyAsync(string accountId, string key, string holder, DateTimeOffset now, DateTimeOffset until,
        CancellationToken ct) =>
        // One upsert whose update applies only to an expired claim: the row lock (PostgreSQL) or the writer (SQLite) makes
        // check and take one step, at read-committed isolation like the pacing slots.
        engine.ClaimAsync(conn => conn.Execute("""
            INSERT INTO idempotency_claims (account_id, key, holder, expires_at) VALUES (@accountId, @key, @holder, @until)
            ON CONFLICT (account_id, key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE idempotency_claims.expires_at <= @now
            """, new { accountId, key, holder, now = Ms(now), until = Ms(until) }) == 1, ct);

    /// <inheritdoc />
    public Task ReleaseIdempotencyKeyAsync(string accountId, string key, string holder, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("DELETE FROM idempotency_claims WHERE account_id = @accountId AND key = @key AND holder = @holder;",
            new { accountId, key, holder }), ct);
}
