using System.Data;
using System.Data.Common;
using Dapper;
using Npgsql;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Sql;

namespace Outdial.Storage.Postgres;

/// <summary>
/// The store contracts on PostgreSQL, shared by any number of nodes. Every write is one serializable transaction, retried
/// when PostgreSQL reports that it lost a race (serialization failure or deadlock), so a write's checks and changes are one
/// step as on SQLite's single writer; claims lock their rows with <c>FOR UPDATE SKIP LOCKED</c> at read-committed
/// isolation, so several nodes' dispatchers, deliverers and insight workers take disjoint rows without waiting on each other.
/// </summary>
public sealed class PostgresStore(PostgresDatabase db, OutboxSignal? signal = null, ConfigChangeSignal? config = null)
    : SqlStore(new PostgresEngine(db), signal, config);

/// <summary>PostgreSQL under <see cref="SqlStore"/>.</summary>
internal sealed class PostgresEngine(PostgresDatabase db) : ISqlEngine
{
    /// <summary>Tries per write before a lost race reaches the caller.</summary>
    private const int MaxTries = 12;

    public SqlDialect Dialect => SqlDialect.Postgres;

    public async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    /// <summary>Once started, a write is not withdrawn: cancelling <paramref name="ct"/> stops waiting, not the write (as on SQLite).</summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        RunAsync(work, "BEGIN ISOLATION LEVEL SERIALIZABLE;", operation).WaitAsync(ct);

    public Task<T> ClaimAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        RunAsync(work, "BEGIN ISOLATION LEVEL READ COMMITTED;", operation).WaitAsync(ct);

    public DbTransaction BeginSnapshot(DbConnection conn) => ((NpgsqlConnection)conn).BeginTransaction(IsolationLevel.RepeatableRead);

    public bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private async Task<T> RunAsync<T>(Func<DbConnection, T> work, string begin, string operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await db.OpenAsync(CancellationToken.None);
            await conn.ExecuteAsync(begin);
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = work(conn);
                Core.Telemetry.OutdialTelemetry.StoreWriteRan(operation, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                await conn.ExecuteAsync("COMMIT;");
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                && attempt < MaxTries)
            {
                await RollbackAsync(conn);
                // Back off a little, randomly, so the transactions that collided do not collide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)));
            }
            catch
            {
                await RollbackAsync(conn);
                throw;
            }
        }
    }

    private static async Task RollbackAsync(NpgsqlConnection conn)
    {
        if (conn.State == ConnectionState.Open)
        {
            try
            {
                await conn.ExecuteAsync("ROLLBACK;");
            }
            catch (NpgsqlException)
            {
                // The connection broke; the server ends its transaction, and the pool discards the connection.
            }
        }
    }
}
