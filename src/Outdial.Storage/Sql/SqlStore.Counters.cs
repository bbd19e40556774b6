using Dapper;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : ICounterStore
{
    /// <inheritdoc />
    public Task<long> NextAsync(string key, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.ExecuteScalar<long>("""
            INSERT INTO counters (key, value) VALUES (@key, 0)
            ON CONFLICT (key) DO UPDATE SET value = counters.value + 1
            RETURNING value
            """, new { key }), ct);
}
