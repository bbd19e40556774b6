using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Outdial.Storage.Sqlite;

/// <summary>
/// One SQLite file in WAL mode: opens reader connections (pooled, read-only use) and applies the embedded,
/// numbered migrations (<c>Migrations/Sqlite/NNNN_name.sql</c>) in order, each in its own transaction with a
/// <c>schema_version</c> row. The store's reads run on its own reader connections (<see cref="ReadAsync{T}"/>), kept open
/// with their compiled statements; disposing the database closes them.
/// </summary>
public sealed class SqliteDatabase : IOutdialDatabase, IDisposable
{
    /// <summary>Most idle reader connections kept open (<see cref="ReadAsync{T}"/>); more concurrent reads open and close their own.</summary>
    public const int MaxIdleReaders = 16;

    private readonly ConcurrentStack<PreparedConnection> _idleReaders = new();
    private volatile bool _disposed;
    private long _readersOpened;

    /// <summary>Reader connections opened so far by <see cref="ReadAsync{T}"/> (tests check that reads reuse them).</summary>
    public long ReadersOpened => Interlocked.Read(ref _readersOpened);

    /// <summary>The version of the SQLite library in use (Microsoft.Data.Sqlite's bundled e_sqlite3), e.g. <c>3.53.3</c>.</summary>
    public static string SqliteVersion => LibraryVersion.Value;

    private static readonly Lazy<string> LibraryVersion = new(() =>
    {
        using var memory = new SqliteConnection("Data Source=:memory:");
        memory.Open();
        return memory.ServerVersion;
    });

    /// <summary>Creates the database handle; <paramref name="path"/> is the file path (its folder is created).</summary>
    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Absolute path of the database file.</summary>
    public string Path { get; }

    public string ConnectionString { get; }

    /// <summary>Opens a connection for reads (writes go through <see cref="SqliteWriter"/>).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(ConnectionString);
        await conn.OpenAsync(ct);
        return conn;
    }

    /// <summary>
    /// Runs <paramref name="read"/> on a reader connection that keeps its compiled statements (<see cref="PreparedConnection"/>):
    /// Microsoft.Data.Sqlite compiles every new command's text again and sets up every pooled connection it opens, which cost a
    /// point read (a DNC look-up at intake) more than the read itself (bench/README.md). The connection is taken from the
    /// idle ones (the most recently used first) or opened, and returned afterwards, unless the read failed or left a
    /// transaction open, in which case it is closed. One read uses a connection at a time. Exceptions of
    /// <paramref name="read"/> (and <see cref="SqliteException"/> when the file cannot be opened) propagate.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken ct)
    {
        if (!_idleReaders.TryPop(out var conn))
        {
            conn = new PreparedConnection(await OpenAsync(ct));
            Interlocked.Increment(ref _readersOpened);
        }
        var reusable = false;
        try
        {
            var result = await read(conn);
            reusable = !conn.InTransaction;
            return result;
        }
        finally
        {
            if (reusable && !_disposed && _idleReaders.Count < MaxIdleReaders)
            {
                _idleReaders.Push(conn);
                if (_disposed && _idleReaders.TryPop(out var late))
                {
                    late.Dispose();
                }
            }
            else
            {
                conn.Dispose();
            }
        }
    }

    /// <summary>Closes the idle reader connections; reads still running close theirs when they finish.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idleReaders.TryPop(out var conn))
        {
            conn.Dispose();
        }
    }

    /// <summary>Sets WAL mode and applies pending migrations. Returns the schema version afterwards.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await conn.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await conn.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);");
        var current = await conn.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;") ?? 0;
        foreach (var (version, name, sql) in Migrations("Sqlite"))
        {
            if (version <= current)
            {
                continue;
            }
            await conn.ExecuteAsync("BEGIN IMMEDIATE;");
            try
            {
                // Another process may have migrated meanwhile: re-check inside the write lock.
                if (await conn.ExecuteScalarAsync<int?>("SELECT 1 FROM schema_version WHERE version = @version;", new { version }) is null)
                {
                    await conn.ExecuteAsync(sql);
                    await conn.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @at);",
                        new { version, name, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
                }
                await conn.ExecuteAsync("COMMIT;");
            }
            catch
            {
                await conn.ExecuteAsync("ROLLBACK;");
                throw;
            }
            current = version;
        }
        return current;
    }

    /// <summary>The schema version the embedded migrations reach (the highest number in <c>Migrations/Sqlite</c>).</summary>
    public static int LatestVersion { get; } = Migrations("Sqlite").Select(m => m.Version).DefaultIfEmpty(0).Max();

    /// <summary>
    /// The schema version applied to the file (0 before the first migration). Opens a connection, so it also proves the
    /// file can be read. Throws <see cref="SqliteException"/> when it cannot.
    /// </summary>
    public async Task<int> AppliedVersionAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';") == 0)
        {
            return 0;
        }
        return await conn.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;") ?? 0;
    }

    /// <summary>Embedded migrations of one dialect folder, ordered by their number prefix (<see cref="Sql.EmbeddedMigrations.Of"/>).</summary>
    public static IEnumerable<(int Version, string Name, string Sql)> Migrations(string dialect) => Sql.EmbeddedMigrations.Of(dialect);

    string IOutdialDatabase.Engine => "SQLite";

    string IOutdialDatabase.Location => Path;

    int IOutdialDatabase.LatestVersion => LatestVersion;

    Task<string> IOutdialDatabase.EngineVersionAsync(CancellationToken ct) => Task.FromResult(SqliteVersion);
}
