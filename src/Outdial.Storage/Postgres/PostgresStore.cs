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

    /// <summary>Once started, a write is not withdrawn: cancelling <paramref name="ct"/> stops waiting, not the write (as on SQLite).</summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        RunAsync(work, "BEGIN ISOLATION LEVEL SERIALIZABLE;", operation).WaitAsync(ct);

    public Task<T> ClaimAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        RunAsync(work, "BEGIN ISOLATION LEVEL READ COMMITTED;", operation).WaitAsync(ct);

    public DbTransaction BeginSnapshot(DbConnection conn) => ((NpgsqlConnection)conn).BeginTransaction(IsolationLevel.RepeatableRead);

    public bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>
    /// Reads on a pooled connection. A connection found dead (the server restarted since it was pooled) empties the pool and
    /// the read runs again on a new one, a few times over about a second; then the error reaches the caller.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await db.OpenAsync(ct);
                return await read(conn);
            }
            catch (Exception ex) when (PostgresDatabase.IsConnectionLost(ex) && attempt < 4 && !ct.IsCancellationRequested)
            {
                db.ForgetConnections();
                await Task.Delay(TimeSpan.FromMilliseconds(150 * attempt), ct);
            }
        }
    }

    private async Task<T> RunAsync<T>(Func<DbConnection, T> work, string begin, string operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? conn = null;
            var committing = false;
            try
            {
                conn = await db.OpenAsync(CancellationToken.None);
                await conn.ExecuteAsync(begin);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = work(conn);
                Core.Telemetry.OutdialTelemetry.StoreWriteRan(operation, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                committing = true;
                await conn.ExecuteAsync("COMMIT;");
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                && attempt < MaxTries)
            {
                await RollbackAsync(conn!);
                // Back off a little, randomly, so the transactions that collided do not collide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)));
            }
            catch (Exception ex) when (!committing && PostgresDatabase.IsConnectionLost(ex) && attempt < MaxTries)
            {
                // The server went away (a restart, a failover) before this transaction's COMMIT was sent, so nothing of it was
                // written. The pool's other connections are as dead: drop them, and try again on a new one, waiting a little
                // longer each time (about 6.6 s in all) for the server to come back. A COMMIT that fails this way is not
                // retried: whether it committed is unknown, and the caller's retry (an Idempotency-Key, a fenced lease) decides.
                db.ForgetConnections();
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
            }
            catch (Exception ex)
            {
                if (conn is not null)
                {
                    await RollbackAsync(conn);
                }
                if (PostgresDatabase.IsConnectionLost(ex))
                {
                    db.ForgetConnections();
                }
                throw;
            }
            finally
            {
                if (conn is not null)
                {
                    await conn.DisposeAsync();
                }
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
