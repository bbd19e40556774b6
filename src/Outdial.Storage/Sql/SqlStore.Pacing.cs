using Dapper;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : IPacingStore
{
    /// <inheritdoc />
    public Task<DateTimeOffset?> TryTakeSlotAsync(string key, TimeSpan spacing, DateTimeOffset now, CancellationToken ct) =>
        // A single upsert whose update applies only to a free slot: the row lock (PostgreSQL) or the writer (SQLite) makes
        // check and take one step, at read-committed isolation like the claims.
        engine.ClaimAsync<DateTimeOffset?>(conn =>
        {
            var taken = conn.Execute("""
                INSERT INTO pacing_slots (key, next_at) VALUES (@key, @next)
                ON CONFLICT (key) DO UPDATE SET next_at = excluded.next_at WHERE pacing_slots.next_at <= @now
                """, new { key, now = Ms(now), next = Ms(now + spacing) });
            return taken == 1 ? null : At(conn.ExecuteScalar<long>("SELECT next_at FROM pacing_slots WHERE key = @key;", new { key }));
        }, ct);
}
