using Dapper;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : IClaimStore
{
    /// <inheritdoc />
    public Task<bool> TryClaimAsync(string scope, string key, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        // One upsert whose update applies only to an expired claim or the holder's own: the row lock (PostgreSQL) or the
        // writer (SQLite) makes check and take one step, at read-committed isolation like the pacing slots.
        engine.ClaimAsync(conn => conn.Execute("""
            INSERT INTO claims (scope, key, holder, expires_at) VALUES (@scope, @key, @holder, @until)
            ON CONFLICT (scope, key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE claims.expires_at <= @now OR claims.holder = excluded.holder
            """, new { scope, key, holder, now = Ms(now), until = Ms(until) }) == 1, ct);

    /// <inheritdoc />
    public Task ReleaseClaimAsync(string scope, string key, string holder, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("DELETE FROM claims WHERE scope = @scope AND key = @key AND holder = @holder;",
            new { scope, key, holder }), ct);
}
