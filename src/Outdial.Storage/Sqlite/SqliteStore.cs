using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Outdial.Core.Common;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Storage.Sqlite;

/// <summary>
/// The SQLite implementation of the store contracts. Reads use their own pooled connections; every write goes
/// through the single <see cref="SqliteWriter"/> (group commit). Conditions that decide a write (status, lease token,
/// version) are checked inside the writer's transaction and repeated in the <c>UPDATE ... WHERE</c>.
/// </summary>
public sealed partial class SqliteStore(SqliteDatabase db, SqliteWriter writer, OutboxSignal? signal = null) : IAccountStore, IAgentStore, ICallStore,
    ICampaignStore, IComplianceStore
{
    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string ToDoc<T>(T value) => JsonSerializer.Serialize(value, Json.Options);

    private static T FromDoc<T>(string doc) => JsonSerializer.Deserialize<T>(doc, Json.Options)!;

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return (await conn.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList();
    }

    private async Task<T?> QuerySingleAsync<T>(string sql, object? args, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    private static bool IsUniqueViolation(SqliteException ex) => ex.SqliteErrorCode == 19; // SQLITE_CONSTRAINT

    /// <summary>
    /// Runs an insert/update of several statements on the writer; a unique-index violation in any of them undoes them all
    /// (a savepoint of its own) and becomes <see cref="UpsertResult.Conflict"/>.
    /// </summary>
    private Task<UpsertResult> WriteUniqueAsync(Func<SqliteConnection, UpsertResult> work, CancellationToken ct) =>
        writer.WriteAsync(conn =>
        {
            conn.Execute("SAVEPOINT unique_write;");
            try
            {
                var result = work(conn);
                conn.Execute("RELEASE unique_write;");
                return result;
            }
            catch (SqliteException ex) when (IsUniqueViolation(ex))
            {
                conn.Execute("ROLLBACK TO unique_write; RELEASE unique_write;");
                return UpsertResult.Conflict;
            }
        }, ct);
}
