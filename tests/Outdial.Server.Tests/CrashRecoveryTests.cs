using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>ARCHITECTURE §5: nothing acknowledged is lost; a number is never dialed twice for one attempt.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task ServerKilledWhileDialing_AfterRestart_NoCallIsLostAndNoneIsDialedTwice()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "outdial-kill-" + Guid.NewGuid().ToString("N"));
        var port = ServerProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["Outdial__DataDirectory"] = dataDir,
            ["Outdial__BootstrapApiKey"] = OutdialHost.BootstrapKey,
            // A human call lasts 35 simulated seconds: 3.5 s here, so the kill lands mid-call.
            ["Outdial__Sandbox__SpeedFactor"] = "10",
            ["Outdial__Dispatcher__PollInterval"] = "00:00:00.020",
            ["Outdial__Api__RateLimitPerMinute"] = "100000",
        };
        var ids = new List<string>();
        await using (var first = await ServerProcess.StartAsync(port, env))
        {
            using var client = first.NewClient();
            for (var i = 0; i < 20; i++)
            {
                var response = await client.PostCallAsync(Calls.Body(Numbers.Next()));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                ids.Add((string)(await response.JsonAsync())["id"]!);
            }
            // Kill once several calls are live with the provider.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (await CountActiveAsync(client) < 5)
            {
                Assert.True(DateTime.UtcNow < deadline, "calls never became active");
                await Task.Delay(20);
            }
            first.Kill();
        }

        await using var second = await ServerProcess.StartAsync(port, env);
        using var again = second.NewClient();
        var attemptsByCall = new Dictionary<string, List<string>>();
        foreach (var id in ids)
        {
            var call = await WaitTerminalAsync(again, id);
            Assert.Equal("ended", (string?)call["status"]);
            Assert.Equal("answered", (string?)call["outcome"]);
            var attempts = (await again.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray();
            attemptsByCall[id] = [.. attempts.Select(a => (string)a!["id"]!)];
        }

        // The sandbox's ledger is the provider's own record of every dial it received.
        var dialed = File.ReadAllLines(Path.Combine(dataDir, "sandbox-ledger.jsonl"))
            .Select(l => JsonNode.Parse(l)!)
            .Where(n => (string?)n["type"] == "dial")
            .Select(n => (string)n["attemptId"]!)
            .ToList();
        Assert.Equal(dialed.Count, dialed.Distinct().Count());
        foreach (var (id, attempts) in attemptsByCall)
        {
            Assert.Equal(1, attempts.Count(dialed.Contains));
        }
        Assert.Equal(ids.Count, dialed.Count);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, recursive: true);
    }


    private static async Task<int> CountActiveAsync(HttpClient client)
    {
        var count = 0;
        foreach (var status in new[] { "dialing", "ringing", "in_progress" })
        {
            count += (await client.GetFromJsonAsync<JsonObject>($"/v1/calls?status={status}&limit=100"))!["data"]!.AsArray().Count;
        }
        return count;
    }

    private static async Task<JsonObject> WaitTerminalAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var call = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
            if ((string?)call["status"] is "ended" or "canceled" or "expired" or "blocked")
            {
                return call;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"call {id} stuck: {call.ToJsonString(new JsonSerializerOptions())}");
            }
            await Task.Delay(50);
        }
    }
}
