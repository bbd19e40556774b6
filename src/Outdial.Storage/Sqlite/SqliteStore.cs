using System.Data.Common;
using Microsoft.Data.Sqlite;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Sql;

namespace Outdial.Storage.Sqlite;

/// <summary>
/// The store contracts on one SQLite file: reads on pooled connections, every write through the single
/// <see cref="SqliteWriter"/> (group commit), which makes each write's checks and changes one step.
/// </summary>
public sealed class SqliteStore(SqliteDatabase db, SqliteWriter writer, OutboxSignal? signal = null, ConfigChangeSignal? config = null)
    : SqlStore(new SqliteEngine(db, writer), signal, config);

/// <summary>SQLite under <see cref="SqlStore"/>: the writer serializes every write, claims included.</summary>
internal sealed class SqliteEngine(SqliteDatabase db, SqliteWriter writer) : ISqlEngine
{
    public SqlDialect Dialect => SqlDialect.Sqlite;

    public Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken ct) => db.ReadAsync(read, ct);

    public Task<T> WriteAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        writer.WriteAsync(work, ct, operation);

    public Task<T> ClaimAsync<T>(Func<DbConnection, T> work, CancellationToken ct, string operation = "") =>
        writer.WriteAsync(work, ct, operation);

    /// <summary>A deferred transaction: it reads one WAL snapshot and takes no write lock.</summary>
    public DbTransaction BeginSnapshot(DbConnection conn) => ((PreparedConnection)conn).BeginDeferred(); // reads run on PreparedConnection (SqliteDatabase.ReadAsync)

    public bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT
}
