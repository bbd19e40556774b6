using Dapper;
using Npgsql;
using Outdial.Storage.Sql;

namespace Outdial.Storage.Postgres;

/// <summary>
/// One PostgreSQL database shared by every node: a pooled <see cref="NpgsqlDataSource"/> and the embedded, numbered
/// migrations (<c>Migrations/Postgres/NNNN_name.sql</c>), applied in order under an advisory lock so that nodes starting
/// together migrate once, each migration in its own transaction with a <c>schema_version</c> row.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    /// <summary>The advisory lock key held while migrating (any fixed 64-bit number; "Outdial" in ASCII).</summary>
    private const long MigrationLock = 0x4f75_7464_6961_6c;

    private readonly NpgsqlDataSource _source;

    /// <summary>
    /// Creates the handle from an Npgsql connection string (<c>Host=...;Port=...;Database=...;Username=...;Password=...</c>).
    /// Statements used twice are prepared automatically (<c>Max Auto Prepare=64</c> unless the string says otherwise).
    /// Throws <see cref="ArgumentException"/> when the string cannot be parsed.
    /// </summary>
    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "outdial";
        }
        Location = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        _source = NpgsqlDataSource.Create(builder);
    }

    /// <summary><c>host:port/database</c> (no credentials).</summary>
    public string Location { get; }

    /// <summary>The schema version the embedded migrations reach (the highest number in <c>Migrations/Postgres</c>).</summary>
    public static int LatestVersion { get; } = EmbeddedMigrations.Of("Postgres").Select(m => m.Version).DefaultIfEmpty(0).Max();

    /// <summary>Opens a pooled connection.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    /// <summary>
    /// Closes every idle pooled connection, and each busy one when it comes back. Called when the server is found gone (a
    /// restart or failover ends every session): Npgsql keeps such connections in its pool until each fails once in use.
    /// </summary>
    public void ForgetConnections() => _source.Clear();

    /// <summary>
    /// True when <paramref name="ex"/> says the session with the server is gone or could not be opened: the server shut down
    /// or restarted (SQLSTATE class 57P: <c>admin_shutdown</c>, <c>crash_shutdown</c>, <c>cannot_connect_now</c>), a
    /// connection exception (class 08), or a network error or timeout Npgsql reports as transient. A transaction whose
    /// <c>COMMIT</c> was not yet sent did not commit.
    /// </summary>
    public static bool IsConnectionLost(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };

    /// <summary>Applies pending migrations under the advisory lock and returns the schema version afterwards.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key);", new { key = MigrationLock }, cancellationToken: ct));
        try
        {
            await conn.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);",
                cancellationToken: ct));
            var current = await conn.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_version;", cancellationToken: ct)) ?? 0;
            foreach (var (version, name, sql) in EmbeddedMigrations.Of("Postgres"))
            {
                if (version <= current)
                {
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
                await conn.ExecuteAsync(new CommandDefinition("INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @at);",
                    new { version, name, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                current = version;
            }
            return current;
        }
        finally
        {
            await conn.ExecuteAsync("SELECT pg_advisory_unlock(@key);", new { key = MigrationLock });
        }
    }

    /// <summary>The schema version applied (0 before the first migration). Throws <see cref="NpgsqlException"/> when the server cannot be reached.</summary>
    public async Task<int> AppliedVersionAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT to_regclass('schema_version')::text;", cancellationToken: ct)) is null)
        {
            return 0;
        }
        return await conn.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_version;", cancellationToken: ct)) ?? 0;
    }

    /// <summary>The server's version, e.g. <c>15.18</c>.</summary>
    public async Task<string> ServerVersionAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        return conn.PostgreSqlVersion.ToString();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();
}

/// <summary>The engine-neutral view of a <see cref="PostgresDatabase"/>.</summary>
internal sealed class PostgresOutdialDatabase(PostgresDatabase db) : IOutdialDatabase
{
    public string Engine => "PostgreSQL";

    public string Location => db.Location;

    public int LatestVersion => PostgresDatabase.LatestVersion;

    public Task<int> MigrateAsync(CancellationToken ct) => db.MigrateAsync(ct);

    public Task<int> AppliedVersionAsync(CancellationToken ct) => db.AppliedVersionAsync(ct);

    public Task<string> EngineVersionAsync(CancellationToken ct) => db.ServerVersionAsync(ct);
}
