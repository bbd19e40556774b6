using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Outdial.Storage.Sql;

/// <summary>The SQL dialect an <see cref="ISqlEngine"/> speaks.</summary>
public enum SqlDialect
{
    Sqlite,
    Postgres,
}

/// <summary>
/// What <see cref="SqlStore"/> needs from a database engine: connections for reads, and transactions for writes in which a
/// read followed by a write is one step (no other write to the same rows commits in between).
/// </summary>
public interface ISqlEngine
{
    SqlDialect Dialect { get; }

    /// <summary>
    /// Runs <paramref name="read"/> on a pooled connection (no transaction), again on a new connection when the engine finds
    /// the first one dead (PostgreSQL after a server restart), so it must only read.
    /// </summary>
    Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and completes after it commits. <paramref name="work"/> may run
    /// more than once (PostgreSQL retries a transaction that lost a serialization race), so it must only touch the
    /// database and values it creates. An exception thrown by <paramref name="work"/> rolls its writes back and reaches the caller.
    /// </summary>
    /// <param name="operation">The store operation, for the writer's per-operation timing (the caller's name by default).</param>
    Task<T> WriteAsync<T>(Func<DbConnection, T> work, CancellationToken ct, [CallerMemberName] string operation = "");

    /// <summary>
    /// Runs a claim (select due rows, lease them) in a write transaction. On PostgreSQL the claim's rows are locked with
    /// <c>FOR UPDATE SKIP LOCKED</c> at read-committed isolation, so claimers on several nodes share the rows instead of
    /// waiting for each other; on SQLite it is an ordinary write.
    /// </summary>
    /// <param name="operation">The store operation, for the writer's per-operation timing (the caller's name by default).</param>
    Task<T> ClaimAsync<T>(Func<DbConnection, T> work, CancellationToken ct, [CallerMemberName] string operation = "");

    /// <summary>Begins a read-only transaction that sees one snapshot (several reads that must agree with each other).</summary>
    DbTransaction BeginSnapshot(DbConnection conn);

    /// <summary>True when <paramref name="ex"/> is a unique (or primary key) constraint violation.</summary>
    bool IsUniqueViolation(DbException ex);
}
