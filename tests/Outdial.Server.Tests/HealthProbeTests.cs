using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Storage.Sqlite;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary><c>/health/live</c> and <c>/health/ready</c> in the health-check JSON format; <c>/health</c> unchanged.</summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task LiveAndReady_AreHealthy_WithTheDatabaseAndProviderEntries_Anonymously()
    {
        await using var host = await OutdialHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        var live = await anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", (string?)(await live.Content.ReadFromJsonAsync<JsonObject>())!["status"]);

        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = (await ready.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Healthy", (string?)body["status"]);
        var database = body["entries"]!["database"]!;
        Assert.Equal("Healthy", (string?)database["status"]);
        Assert.Equal(SqliteDatabase.LatestVersion, (int)database["data"]!["schemaVersion"]!);
        Assert.Equal("ok", (string?)body["entries"]!["providers"]!["data"]!["sandbox"]);

        Assert.Equal("ok", (string?)(await anonymous.GetFromJsonAsync<JsonObject>("/health"))!["status"]);
    }

    [Fact]
    public async Task Ready_IsUnhealthy503_WhileAMigrationIsMissing_AndLiveStaysHealthy()
    {
        await using var host = await OutdialHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        var db = host.Services.GetRequiredService<SqliteDatabase>();
        await using (var conn = await db.OpenAsync(CancellationToken.None))
        {
            await conn.ExecuteAsync("DELETE FROM schema_version WHERE version = @latest;", new { latest = SqliteDatabase.LatestVersion });
        }

        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var database = (await ready.Content.ReadFromJsonAsync<JsonObject>())!["entries"]!["database"]!;
        Assert.Equal("Unhealthy", (string?)database["status"]);
        Assert.StartsWith("migrations pending", (string?)database["description"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
    }
}
