using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Several identical nodes over one PostgreSQL database (issue 17's proof): real server processes on loopback, the sandbox
/// provider (one ledger shared by the nodes, as one provider account would be), a real webhook receiver. Nodes are killed
/// with SIGKILL and frozen with SIGSTOP past their lease while calls flow; clients retry a request that got no answer on
/// another node with the same Idempotency-Key, as a load balancer's client would. Three servers and their load take both
/// cores of the test machine, so this runs alone, after the other tests (its collection is not parallelized).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresClusterTests
{
    private const int CallCount = 240;
    private const int AccountMaxConcurrent = 10;
    private const int PacedCount = 48;
    private const int PacedCps = 4;

    [Fact]
    public async Task ThreeNodes_KilledAndFrozen_NoAcknowledgedCallLost_NoAttemptDialedTwice_LimitsHeld_EveryEventDelivered()
    {
        var connectionString = await PostgresTestServer.CreateDatabaseAsync();
        var root = Path.Combine(Path.GetTempPath(), "outdial-cluster-" + Guid.NewGuid().ToString("N"));
        var ledger = Path.Combine(root, "sandbox-ledger.jsonl");
        await using var receiver = await WebhookReceiver.StartAsync();
        var ports = Enumerable.Range(0, 3).Select(_ => ServerProcess.FreePort()).ToArray();
        Dictionary<string, string> Env(int i)
        {
            var env = new Dictionary<string, string>
            {
                ["Outdial__Database__Provider"] = "postgres",
                ["ConnectionStrings__Outdial"] = connectionString,
                ["Outdial__DataDirectory"] = Path.Combine(root, $"node{i}"),
                ["Outdial__Sandbox__LedgerPath"] = ledger,
                ["Outdial__BootstrapApiKey"] = OutdialHost.BootstrapKey,
                // A human call lasts 35 simulated seconds: 1.75 s here.
                ["Outdial__Sandbox__SpeedFactor"] = "20",
                ["Outdial__Dispatcher__PollInterval"] = "00:00:00.100",
                ["Outdial__Dispatcher__LeaseDuration"] = "00:00:04",
                ["Outdial__Nodes__HeartbeatInterval"] = "00:00:00.500",
                ["Outdial__Nodes__Timeout"] = "00:00:03",
                ["Outdial__Reconciler__Interval"] = "00:00:01",
                ["Outdial__Reconciler__StaleAfter"] = "00:00:05",
                ["Outdial__Api__RateLimitPerMinute"] = "100000",
                ["Outdial__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
                ["Outdial__Webhooks__PollInterval"] = "00:00:00.200",
                ["Outdial__Webhooks__AttemptTimeout"] = "00:00:05",
                ["Outdial__Webhooks__LeaseDuration"] = "00:00:08",
                ["Outdial__Insights__PollInterval"] = "00:00:00.200",
            };
            for (var k = 0; k < 10; k++)
            {
                env[$"Outdial__Webhooks__RetryDelaysSec__{k}"] = "1";
            }
            return env;
        }
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ServerProcess.StartAsync(ports[i], Env(i))));
        try
        {
            using var admin = nodes[0].NewClient();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/webhook-endpoints", new { url = receiver.Url() })).StatusCode);
            var phone = (await admin.GetFromJsonAsync<JsonObject>("/v1/phone-numbers"))!["data"]!.AsArray()[0]!;
            async Task SetCpsAsync(double cps)
            {
                var patch = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/v1/phone-numbers/{phone["id"]}")
                {
                    Content = JsonContent.Create(new { callsPerSecond = cps }),
                });
                Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
            }

            // 1. CPS across nodes: short calls (an invalid number fails at once) through a caller ID paced at 4 calls a
            // second, sent to all three nodes at once. Paced per node, three dispatchers would reach 12 a second.
            await SetCpsAsync(PacedCps);
            var paced = await Task.WhenAll(Enumerable.Range(0, PacedCount).Select(async i =>
            {
                using var client = nodes[i % 3].NewClient();
                var response = await client.PostCallAsync(Calls.Body(Numbers.Next("0004")));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                return (string)(await response.JsonAsync())["id"]!;
            }));
            var pacedAttempts = new List<JsonObject>();
            foreach (var id in paced)
            {
                await WaitEndedAsync(admin, id);
                pacedAttempts.AddRange((await admin.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray().Select(a => a!.AsObject()));
            }
            var pacedStarts = pacedAttempts.Select(a => (DateTime)a["createdAt"]!).ToList();
            Assert.Equal(PacedCount, pacedStarts.Count);
            Assert.InRange(MaxInOneSecond(pacedStarts), PacedCps - 1, PacedCps + 1);

            // 2. Everything else, with the caller ID fast enough that the account's concurrent-call limit binds.
            await SetCpsAsync(50);

            // Calls go to the nodes in turn, 12 at a time; meanwhile node 2 is killed and restarted, and node 1 is frozen for
            // longer than the node timeout and the dispatcher's lease, then resumed.
            var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var sent = 0;
            var chaos = Task.Run(async () =>
            {
                await WaitAsync(() => acknowledged.Count >= CallCount / 4, "a quarter of the calls to be accepted", TimeSpan.FromSeconds(60));
                nodes[2].Kill();
                await Task.Delay(1500);
                await nodes[2].DisposeAsync();
                nodes[2] = await ServerProcess.StartAsync(ports[2], Env(2));
                await WaitAsync(() => acknowledged.Count >= CallCount / 2, "half of the calls to be accepted", TimeSpan.FromSeconds(60));
                nodes[1].Pause();
                await Task.Delay(TimeSpan.FromSeconds(6));
                nodes[1].Resume();
            });
            await Parallel.ForEachAsync(Enumerable.Range(0, CallCount), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, ct) =>
            {
                var body = Calls.Body(Numbers.Next());
                var key = $"cluster-{i}";
                for (var attempt = 0; ; attempt++)
                {
                    var node = nodes[(i + attempt) % 3];
                    using var client = node.NewClient();
                    client.Timeout = TimeSpan.FromSeconds(3);
                    try
                    {
                        using var response = await client.PostCallAsync(body, key);
                        if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                        {
                            acknowledged[key] = (string)(await response.JsonAsync())["id"]!;
                            Interlocked.Increment(ref sent);
                            return;
                        }
                        // 409: the same key is still in flight on another node; anything else: try again elsewhere.
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // No answer (killed or frozen node): the client does not know whether the call was taken.
                    }
                    Assert.True(attempt < 40, $"call {i} was never acknowledged");
                    await Task.Delay(200, ct);
                }
            });
            await chaos;
            Assert.Equal(CallCount, acknowledged.Count);
            Assert.Equal(CallCount, acknowledged.Values.Distinct(StringComparer.Ordinal).Count());

            // Every acknowledged call ends; its events are all delivered.
            using var reader = nodes[0].NewClient();
            var attempts = new List<JsonObject>();
            var events = new List<string>();
            foreach (var id in acknowledged.Values)
            {
                var call = await WaitEndedAsync(reader, id);
                Assert.Equal("ended", (string?)call["status"]);
                attempts.AddRange((await reader.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray().Select(a => a!.AsObject()));
                events.AddRange((await reader.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["id"]!));
            }
            Assert.Equal(PacedCount + CallCount, await CountCallsAsync(reader)); // no request made two calls

            // The provider's own record: no attempt was dialed twice, and every dialed attempt is one Outdial recorded.
            var dialed = File.ReadAllLines(ledger).Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "dial")
                .Select(n => (string)n["attemptId"]!).ToList();
            Assert.Equal(dialed.Count, dialed.Distinct(StringComparer.Ordinal).Count());
            var recorded = attempts.Concat(pacedAttempts).Select(a => (string)a["id"]!).ToHashSet(StringComparer.Ordinal);
            Assert.All(dialed, d => Assert.Contains(d, recorded));

            // Limits held across nodes, checked from the attempts' own timestamps.
            var spans = attempts.Where(a => (string?)a["providerCallId"] is not null)
                .Select(a => (Start: (DateTime)a["createdAt"]!, End: (DateTime?)a["endedAt"] ?? DateTime.MaxValue)).ToList();
            var overlap = spans.Select(s => spans.Count(o => o.Start <= s.Start && o.End > s.Start)).Max();
            // An attempt's createdAt is stamped just before its dialing write commits, a call's endedAt when the provider's report
            // is made, before it commits: an end and a dial committed in that order within a few milliseconds can look like one
            // call too many. Counting per node instead of in the write would show up to three times the limit.
            Assert.InRange(overlap, 1, AccountMaxConcurrent + 1);
            Assert.True(overlap >= AccountMaxConcurrent, $"the limit was never reached ({overlap}), so the check proved nothing");

            // The killed node was reaped (its leases handed back) by a live node's watchdog.
            await using (var db = new Npgsql.NpgsqlConnection(connectionString))
            {
                await db.OpenAsync();
                await using var count = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM nodes WHERE reaped_at IS NOT NULL", db);
                Assert.True((long)(await count.ExecuteScalarAsync())! >= 1, "no node was reaped");
            }

            await WebhookTests.WaitAsync(() => events.All(e => receiver.Accepted.Any(r => r.Id == e)), "every event to be delivered", TimeSpan.FromSeconds(120));
            foreach (var call in receiver.Accepted.GroupBy(r => r.CallId))
            {
                var order = call.DistinctBy(r => r.Id).Select(r => r.Sequence).ToList();
                Assert.Equal(order.Order(), order); // per-call order held across nodes
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
            await PostgresTestServer.DropDatabaseAsync(connectionString);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // The OS cleans temp.
            }
        }
    }

    /// <summary>The most of <paramref name="starts"/> that fall in any one-second window.</summary>
    private static int MaxInOneSecond(List<DateTime> starts)
    {
        var sorted = starts.Order().ToList();
        return sorted.Select((s, k) => sorted.Skip(k).TakeWhile(t => t < s.AddSeconds(1)).Count()).Max();
    }

    private static async Task<int> CountCallsAsync(HttpClient client)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var page = (await client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100" + (cursor is null ? "" : $"&cursor={cursor}")))!;
            count += page["data"]!.AsArray().Count;
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);
        return count;
    }

    private static async Task WaitAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static async Task<JsonObject> WaitEndedAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var call = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
            if ((string?)call["status"] is "ended" or "canceled" or "expired" or "blocked")
            {
                return call;
            }
            Assert.True(DateTime.UtcNow < deadline, $"call {id} stuck in {call["status"]}");
            await Task.Delay(100);
        }
    }
}

/// <summary>Tests that need the machine to themselves: xunit runs this collection after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
