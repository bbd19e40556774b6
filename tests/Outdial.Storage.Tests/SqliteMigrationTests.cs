using Dapper;
using Outdial.Storage.Sqlite;
using Xunit;

namespace Outdial.Storage.Tests;

/// <summary>Upgrades of a database written by an earlier version: rows written before a migration read as the current code expects.</summary>
public sealed class SqliteMigrationTests : IAsyncLifetime, IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "outdial-migrate-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase _db = null!;

    public Task InitializeAsync()
    {
        _db = new SqliteDatabase(Path.Combine(_dir, "old.db"));
        return Task.CompletedTask;
    }

    public void Dispose() => _db?.Dispose();

    public Task DisposeAsync()
    {
        _db.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger; the OS cleans the temp folder.
        }
        return Task.CompletedTask;
    }

    /// <summary>Applies the migrations up to <paramref name="version"/>, as the version that shipped them did.</summary>
    private async Task MigrateToAsync(int version)
    {
        await using var conn = await _db.OpenAsync(Ct);
        await conn.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);");
        foreach (var (v, name, sql) in SqliteDatabase.Migrations("Sqlite").Where(m => m.Version <= version))
        {
            await conn.ExecuteAsync(sql);
            await conn.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @name, 0);", new { v, name });
        }
    }

    [Fact]
    public async Task Migration7_GivesDeliveriesOfTheFormerIvrResultPushTheirFormat_AndTurnsTheBatchSuffixIntoBatched()
    {
        await MigrateToAsync(6);
        await using (var conn = await _db.OpenAsync(Ct))
        {
            // As the code before formats wrote them: the result push rendered at plan time, batched rows marked by
            // a ':batch' destination suffix; beside them an endpoint delivery and a standard per-call one.
            const string row = """
                INSERT INTO webhook_deliveries (id, account_id, endpoint_id, destination, call_id, event_id, event_type, sequence, url,
                    secret, body, status, series_attempts, next_attempt_at, created_at, updated_at)
                VALUES (@id, 'acc_1', @endpoint, @destination, 'call_1', 'evt_1', 'call.ended', 9, 'https://example.com/r', NULL, @body,
                    'pending', 0, 0, 0, 0)
                """;
            const string results = """{"CallResults":[{"UniqueId":"call_1","CallRequestId":"c","CallState":"Busy"}]}""";
            const string standard = """{"id":"evt_1","type":"call.ended","timestamp":"2026-11-21T15:00:00Z","data":{"id":"call_1"}}""";
            await conn.ExecuteAsync(row, new { id = "whd_batched", endpoint = (string?)null, destination = "call:0:batch", body = results });
            await conn.ExecuteAsync(row, new { id = "whd_now", endpoint = (string?)null, destination = "call:1", body = results });
            await conn.ExecuteAsync(row, new { id = "whd_endpoint", endpoint = "whe_1", destination = "whe_1", body = standard });
            await conn.ExecuteAsync(row, new { id = "whd_standard", endpoint = (string?)null, destination = "call:2", body = standard });
        }

        Assert.True(await _db.MigrateAsync(Ct) >= 7);

        await using var writer = new SqliteWriter(_db, "FULL", 16);
        var store = new SqliteStore(_db, writer);
        async Task<(string, string?, bool)> ReadAsync(string id) =>
            (await store.GetDeliveryAsync("acc_1", id, Ct)) is { } d ? (d.Destination, d.Format, d.Batched) : throw new InvalidOperationException(id);
        Assert.Equal(("call:0", "ivr_result", true), await ReadAsync("whd_batched"));
        Assert.Equal(("call:1", "ivr_result", false), await ReadAsync("whd_now"));
        Assert.Equal(("whe_1", (string?)null, false), await ReadAsync("whd_endpoint"));
        Assert.Equal(("call:2", (string?)null, false), await ReadAsync("whd_standard"));
    }
}
