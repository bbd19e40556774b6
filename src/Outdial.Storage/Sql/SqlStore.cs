using System.Data.Common;
using System.Text.Json;
using Dapper;
using Outdial.Core.Common;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Storage.Sql;

/// <summary>
/// The store contracts over SQL, shared by both engines (<see cref="Sqlite.SqliteStore"/>, <see cref="Postgres.PostgresStore"/>).
/// Reads use their own pooled connections; every write runs as one transaction through <see cref="ISqlEngine.WriteAsync{T}"/>,
/// which makes a read-check-write inside it one step (SQLite: the single writer; PostgreSQL: a serializable transaction
/// retried on a serialization failure). Conditions that decide a write (status, lease token, version) are checked inside
/// that transaction and repeated in the <c>UPDATE ... WHERE</c>. Where the two SQL dialects differ, <see cref="Pg"/> picks
/// the text. Times are stored as Unix milliseconds (UTC), flags as 0/1 integers, domain records as JSON text in <c>doc</c>.
/// A committed write to an account's configuration (the account, agents, phone numbers, webhook endpoints) is announced on
/// <c>config</c> (<see cref="ConfigChangeSignal"/>), which the intake's cache listens to.
/// </summary>
public abstract partial class SqlStore(ISqlEngine engine, OutboxSignal? signal, ConfigChangeSignal? config = null) : IAccountStore, IAgentStore, ICallStore,
    ICampaignStore, IComplianceStore
{
    /// <summary>True on PostgreSQL: the few statements whose text differs between the engines read it.</summary>
    private bool Pg { get; } = engine.Dialect == SqlDialect.Postgres;

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string ToDoc<T>(T value) => JsonSerializer.Serialize(value, Json.Options);

    private static T FromDoc<T>(string doc) => JsonSerializer.Deserialize<T>(doc, Json.Options)!;

    /// <summary>
    /// <c>column</c> is one of the values of the array parameter <c>@param</c> (pass an array): Dapper expands it into an
    /// <c>IN (...)</c> list on SQLite and sends it as one array on PostgreSQL.
    /// </summary>
    private string InList(string column, string param) => Pg ? $"{column} = ANY(@{param})" : $"{column} IN @{param}";

    /// <summary>The row lock a claim takes so that concurrent claimers on other nodes skip, not wait for, rows being claimed (PostgreSQL).</summary>
    private string SkipLocked(string table) => Pg ? $" FOR UPDATE OF {table} SKIP LOCKED" : "";

    /// <summary>The text value of a top-level property of a JSON document column.</summary>
    private string JsonText(string column, string property) => Pg ? $"({column}::jsonb ->> '{property}')" : $"json_extract({column}, '$.{property}')";

    private Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken ct) =>
        engine.ReadAsync<IReadOnlyList<T>>(async conn => (await conn.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList(), ct);

    private Task<T?> QuerySingleAsync<T>(string sql, object? args, CancellationToken ct) =>
        engine.ReadAsync(conn => conn.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct)), ct);

    /// <summary>Awaits a committed write to <paramref name="accountId"/>'s configuration, then announces it (<see cref="ConfigChangeSignal"/>).</summary>
    private async Task<T> ConfigWrittenAsync<T>(string accountId, Task<T> write)
    {
        var result = await write;
        config?.Notify(accountId);
        return result;
    }

    private async Task ConfigWrittenAsync(string accountId, Task write)
    {
        await write;
        config?.Notify(accountId);
    }

    /// <summary>
    /// Runs an insert/update of several statements as one write; a unique-index violation in any of them undoes them all
    /// (a savepoint of its own) and becomes <see cref="UpsertResult.Conflict"/>.
    /// </summary>
    private Task<UpsertResult> WriteUniqueAsync(Func<DbConnection, UpsertResult> work, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            conn.Execute("SAVEPOINT unique_write;");
            try
            {
                var result = work(conn);
                conn.Execute("RELEASE SAVEPOINT unique_write;");
                return result;
            }
            catch (DbException ex) when (engine.IsUniqueViolation(ex))
            {
                conn.Execute("ROLLBACK TO SAVEPOINT unique_write; RELEASE SAVEPOINT unique_write;");
                return UpsertResult.Conflict;
            }
        }, ct);
}
