using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>The webhook outbox survives SIGKILL: every event of every acknowledged call is delivered at least once.</summary>
public sealed class WebhookCrashTests
{
    [Fact]
    public async Task ServerKilledWhileDeliveriesAreInFlight_AfterRestart_EveryEventIsDelivered()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "outdial-whkill-" + Guid.NewGuid().ToString("N"));
        var port = ServerProcess.FreePort();
        await using var receiver = await WebhookReceiver.StartAsync();
        // A slow receiver keeps many deliveries in flight when the kill lands.
        receiver.Latency = TimeSpan.FromMilliseconds(300);
        var env = new Dictionary<string, string>
        {
            ["Outdial__DataDirectory"] = dataDir,
            ["Outdial__BootstrapApiKey"] = OutdialHost.BootstrapKey,
            ["Outdial__Sandbox__SpeedFactor"] = "20",
            ["Outdial__Dispatcher__PollInterval"] = "00:00:00.020",
            ["Outdial__Api__RateLimitPerMinute"] = "100000",
            ["Outdial__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Outdial__Webhooks__PollInterval"] = "00:00:00.050",
            ["Outdial__Webhooks__AttemptTimeout"] = "00:00:05",
            // A dead node's claims return to the pool after this.
            ["Outdial__Webhooks__LeaseDuration"] = "00:00:08",
        };
        // An attempt that times out on a loaded machine is retried within seconds, not after the default 5-minute second delay
        // (a call's later events wait behind it, in order).
        for (var i = 0; i < 10; i++)
        {
            env[$"Outdial__Webhooks__RetryDelaysSec__{i}"] = "1";
        }
        var ids = new List<string>();
        await using (var first = await ServerProcess.StartAsync(port, env))
        {
            using var client = first.NewClient();
            var endpoint = await client.PostAsJsonAsync("/v1/webhook-endpoints", new { url = receiver.Url() });
            Assert.Equal(HttpStatusCode.Created, endpoint.StatusCode);
            for (var i = 0; i < 20; i++)
            {
                var response = await client.PostCallAsync(Calls.Body(Numbers.Next(i % 2 == 0 ? "0003" : "5678")));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                ids.Add((string)(await response.JsonAsync())["id"]!);
            }
            await WebhookTests.WaitAsync(() => receiver.Received.Count >= 10, "deliveries to be under way");
            first.Kill();
        }
        var beforeRestart = receiver.Accepted.Count;

        await using var second = await ServerProcess.StartAsync(port, env);
        using var again = second.NewClient();
        var expected = new List<string>();
        foreach (var id in ids)
        {
            // Wait for each call to end so that its whole event list is known.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((string?)(await again.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!["status"] != "ended")
            {
                Assert.True(DateTime.UtcNow < deadline, $"call {id} did not end");
                await Task.Delay(50);
            }
            // A call's insights, when it has an analysis, are announced by one more event after its end.
            while (!await AnalysedAsync(again, id))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the insights of call {id} were never analysed");
                await Task.Delay(50);
            }
            expected.AddRange((await again.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["id"]!));
        }
        await WebhookTests.WaitAsync(() => expected.All(id => receiver.Accepted.Any(r => r.Id == id)), "every event to be delivered", TimeSpan.FromSeconds(90));
        Assert.True(beforeRestart < expected.Count, "the kill landed after everything was delivered; the test proved nothing");
        Assert.Equal(expected.Count, receiver.Accepted.Select(r => r.Id).Distinct().Count());
        foreach (var call in receiver.Accepted.GroupBy(r => r.CallId))
        {
            var order = call.DistinctBy(r => r.Id).Select(r => r.Sequence).ToList();
            Assert.Equal(order.Order(), order);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, recursive: true);
    }

    private static async Task<bool> AnalysedAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/v1/calls/{id}/insights");
        return response.StatusCode == HttpStatusCode.NotFound
            || (response.IsSuccessStatusCode && (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"] is "completed" or "failed");
    }
}
