using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Several identical nodes over one PostgreSQL database (issue 17's proof): real server processes on loopback, a PostgreSQL
/// cluster of the test's own (so it can be restarted), the sandbox provider (one ledger shared by the nodes, as one provider
/// account would be), a real webhook receiver. While 10,000 calls flow, nodes are killed with SIGKILL again and again, one is
/// frozen with SIGSTOP past its lease, and PostgreSQL is restarted; clients retry a request that got no answer on another
/// node with the same Idempotency-Key, as a load balancer's client would. Three servers and their load take both cores of
/// the test machine, so this runs alone, after the other tests (its collection is not parallelized).
/// <para>
/// <c>OUTDIAL_CLUSTER_CALLS</c> sets the number of calls (default 10,000) for a quicker run while working on it.
/// </para>
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresClusterTests
{
    private const int AccountMaxConcurrent = 40;
    private const int PacedCount = 48;
    private const int PacedCps = 4;
    private const int Clients = 16;

    /// <summary>The sandbox's outcomes by a number's last four digits (docs/providers.md), mostly short calls, one in ten answered.</summary>
    private static readonly string[] Mix = ["0001", "0002", "0003", "0004", "0005", "5678", "0001", "0004", "0007", "0001"];

    private static int CallCount =>
        int.TryParse(Environment.GetEnvironmentVariable("OUTDIAL_CLUSTER_CALLS"), out var n) && n > 0 ? n : 10_000;

    [Fact]
    public async Task ThreeNodes_TenThousandCalls_NodesKilledAndFrozen_DatabaseRestarted_NoCallLost_NoneDialedTwice_LimitsHeld_EveryEventDelivered()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await PostgresTestServer.CreateDatabaseAsync(postgres.ConnectionString);
        var root = Path.Combine(Path.GetTempPath(), "outdial-cluster-" + Guid.NewGuid().ToString("N"));
        var ledger = Path.Combine(root, "sandbox-ledger.jsonl");
        await using var receiver = await WebhookReceiver.StartAsync();
        var ports = Enumerable.Range(0, 3).Select(_ => ServerProcess.FreePort()).ToArray();
        Dictionary<string, string> Env(int i) => NodeEnv(connectionString, Path.Combine(root, $"node{i}"), ledger);
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ServerProcess.StartAsync(ports[i], Env(i))));
        // One client for every node (absolute URLs), so 10,000 requests reuse connections instead of opening one each.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OutdialHost.BootstrapKey);
        Uri At(int node, string path) => new($"http://127.0.0.1:{ports[node]}{path}");

        try
        {
            using var admin = nodes[0].NewClient();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/webhook-endpoints", new { url = receiver.Url() })).StatusCode);
            var account = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
            {
                Content = JsonContent.Create(new { maxConcurrentCalls = AccountMaxConcurrent }),
            });
            Assert.True(account.IsSuccessStatusCode, await account.Content.ReadAsStringAsync());
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
                var response = await http.PostCallAsync(At(i % 3, "/v1/calls"), Calls.Body(Numbers.Next("0004")));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                return (string)(await response.JsonAsync())["id"]!;
            }));
            await using var db = new Npgsql.NpgsqlDataSourceBuilder(connectionString).Build();
            await WaitAllEndedAsync(db, paced.Length, TimeSpan.FromSeconds(90));
            var pacedStarts = (await AttemptsAsync(db)).Select(a => a.Start).ToList();
            Assert.Equal(PacedCount, pacedStarts.Count);
            Assert.InRange(MaxInOneSecond(pacedStarts), PacedCps - 1, PacedCps + 1);

            // 2. Ten thousand calls, with the caller ID fast enough that the account's concurrent-call limit binds. They go
            // to the nodes in turn, 16 at a time; meanwhile nodes are killed and restarted, one is frozen for longer than the
            // node timeout and the dispatcher's lease, then resumed, and PostgreSQL restarts under them.
            await SetCpsAsync(100);
            var total = CallCount;
            var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var chaosLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
            async Task KillAndRestartAsync(int node)
            {
                nodes[node].Kill();
                chaosLog.Enqueue($"{DateTime.UtcNow:O} killed node {node} at {acknowledged.Count} acknowledged");
                await Task.Delay(1000);
                await nodes[node].DisposeAsync();
                nodes[node] = await ServerProcess.StartAsync(ports[node], Env(node));
            }
            Task Until(double share, string what) =>
                WaitAsync(() => acknowledged.Count >= (int)(total * share), what, TimeSpan.FromMinutes(5));
            var chaos = Task.Run(async () =>
            {
                await Until(0.1, "a tenth of the calls to be accepted");
                await KillAndRestartAsync(2);
                await Until(0.25, "a quarter of the calls to be accepted");
                await KillAndRestartAsync(0);
                await Until(0.4, "40 % of the calls to be accepted");
                nodes[1].Pause();
                chaosLog.Enqueue($"{DateTime.UtcNow:O} froze node 1");
                await Task.Delay(TimeSpan.FromSeconds(6));
                nodes[1].Resume();
                await Until(0.55, "55 % of the calls to be accepted");
                chaosLog.Enqueue($"{DateTime.UtcNow:O} restarting PostgreSQL at {acknowledged.Count} acknowledged");
                await postgres.RestartAsync();
                await Until(0.75, "75 % of the calls to be accepted");
                await KillAndRestartAsync(2);
                await Until(1.0, "every call to be accepted");
                await KillAndRestartAsync(1); // while the last calls are dialed
            });
            await SubmitAsync(http, At, total, i => Calls.Body(Numbers.Next(Mix[i % Mix.Length])), acknowledged);
            await chaos;
            Assert.Equal(total, acknowledged.Count);
            Assert.Equal(total, acknowledged.Values.Distinct(StringComparer.Ordinal).Count());

            // Every acknowledged call is stored, once, and ends.
            await WaitAllEndedAsync(db, PacedCount + total, TimeSpan.FromMinutes(10));
            var stored = await IdsAsync(db, "SELECT id FROM calls");
            Assert.Equal(PacedCount + total, stored.Count); // no request made two calls
            Assert.All(acknowledged.Values, id => Assert.Contains(id, stored));

            // The provider's own record: no attempt was dialed twice, and every dialed attempt is one Outdial recorded.
            var attempts = await AttemptsAsync(db);
            var dialed = File.ReadAllLines(ledger).Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "dial")
                .Select(n => (string)n["attemptId"]!).ToList();
            Assert.Equal(dialed.Count, dialed.Distinct(StringComparer.Ordinal).Count());
            var recorded = attempts.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
            Assert.All(dialed, d => Assert.Contains(d, recorded));
            Assert.True(dialed.Count >= total * 9 / 10, $"only {dialed.Count} of {total} calls reached the provider");

            // The account's concurrent-call limit held across nodes, checked from the attempts' own timestamps.
            var overlap = MaxOverlap(attempts.Where(a => a.Dialed).Select(a => (a.Start, a.End ?? DateTime.MaxValue)));
            // An attempt's createdAt is stamped just before its dialing write commits, a call's endedAt when the provider's report
            // is made, before it commits: an end and a dial committed in that order within a few milliseconds can look like one
            // call too many. Counting per node instead of in the write would show up to three times the limit.
            Assert.InRange(overlap, 1, AccountMaxConcurrent + 1);
            Assert.True(overlap >= AccountMaxConcurrent / 2, $"the limit was never approached ({overlap}), so the check proved little");

            // The killed nodes were reaped (their leases handed back) by a live node's watchdog.
            await using (var count = db.CreateCommand("SELECT COUNT(*) FROM nodes WHERE reaped_at IS NOT NULL"))
            {
                Assert.True((long)(await count.ExecuteScalarAsync())! >= 2, "the killed nodes were not reaped");
            }

            // Every event delivered at least once, in order per call.
            var events = await IdsAsync(db, "SELECT id FROM call_events");
            await WaitAsync(() => events.IsSubsetOf(receiver.Accepted.Select(r => r.Id)), "every event to be delivered", TimeSpan.FromMinutes(5));
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

    /// <summary>
    /// The same proof through Twilio: three nodes over PostgreSQL dial through a mock of Twilio's official API spec (Prism,
    /// behind <see cref="TwilioFront"/>, which gives each created call its own SID), and the test plays Twilio's side: it
    /// posts each call's signed status callbacks to any live node, as Twilio would to the public URL behind a load balancer,
    /// and for one call in ten sends none but lets the reconciler find the call's end through Twilio's API. A node is killed
    /// and another frozen past its lease while calls flow; Twilio must see each attempt created at most once.
    /// </summary>
    [Fact]
    public async Task ThreeNodes_ThroughTheTwilioMock_NodesKilledAndFrozen_EachAttemptCreatedAtTwilioOnce_EveryCallEnds()
    {
        const int total = 600;
        var mock = new TwilioMock();
        await mock.InitializeAsync();
        await using var front = await TwilioFront.StartAsync(mock.Url);
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await PostgresTestServer.CreateDatabaseAsync(postgres.ConnectionString);
        var root = Path.Combine(Path.GetTempPath(), "outdial-cluster-" + Guid.NewGuid().ToString("N"));
        var ports = Enumerable.Range(0, 3).Select(_ => ServerProcess.FreePort()).ToArray();
        Dictionary<string, string> Env(int i)
        {
            var env = NodeEnv(connectionString, Path.Combine(root, $"node{i}"), Path.Combine(root, "sandbox-ledger.jsonl"));
            env["Outdial__Twilio__AccountSid"] = TwilioMock.AccountSid;
            env["Outdial__Twilio__AuthToken"] = TwilioMock.AuthToken;
            env["Outdial__Twilio__BaseUrl"] = front.BaseUrl;
            env["Outdial__Twilio__CallsPerSecond"] = "100";
            env["Outdial__Twilio__RequestTimeout"] = "00:00:30";
            env["Outdial__PublicBaseUrl"] = TwilioEndToEndTests.PublicBase;
            return env;
        }
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ServerProcess.StartAsync(ports[i], Env(i))));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OutdialHost.BootstrapKey);
        Uri At(int node, string path) => new($"http://127.0.0.1:{ports[node]}{path}");
        using var stop = new CancellationTokenSource();
        try
        {
            using var admin = nodes[0].NewClient();
            var account = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
            {
                Content = JsonContent.Create(new { maxConcurrentCalls = AccountMaxConcurrent }),
            });
            Assert.True(account.IsSuccessStatusCode, await account.Content.ReadAsStringAsync());
            var number = await admin.PostAsJsonAsync("/v1/phone-numbers", new JsonObject
            {
                ["number"] = TwilioEndToEndTests.TwilioNumber,
                ["label"] = "twilio-main",
                ["provider"] = "twilio",
                ["callsPerSecond"] = 100,
            });
            Assert.Equal(HttpStatusCode.Created, number.StatusCode);

            // Twilio's side: for every call created, its callbacks a moment later, to whichever node answers.
            var finals = new (string Status, (string, string)[] Extra)[]
            {
                ("busy", []), ("no-answer", []), ("failed", [("SipResponseCode", "404")]), ("completed", [("CallDuration", "3")]),
                ("busy", []), ("completed", [("CallDuration", "1")]), ("failed", [("SipResponseCode", "480")]), ("no-answer", []),
                ("busy", []), ("lost", []),
            };
            var callbacks = new List<Task>();
            var twilio = Task.Run(async () =>
            {
                var seen = 0;
                while (!stop.IsCancellationRequested)
                {
                    foreach (var (sid, create) in front.Created.Skip(seen).ToList())
                    {
                        var k = seen++;
                        var attemptId = create["StatusCallback"]!.Split('/')[^2];
                        var final = finals[k % finals.Length];
                        if (final.Status == "lost")
                        {
                            // No callback ever arrives: Twilio's API knows the call ended; the reconciler must ask.
                            front.SetState(sid, ("status", "completed"), ("duration", "2"), ("answered_by", "human"),
                                ("start_time", TwilioMock.Rfc2822(DateTimeOffset.UtcNow)), ("end_time", TwilioMock.Rfc2822(DateTimeOffset.UtcNow)));
                            continue;
                        }
                        callbacks.Add(Task.Run(async () =>
                        {
                            await Task.Delay(Random.Shared.Next(50, 400));
                            var path = $"{TwilioUrls.Prefix}/{attemptId}/status";
                            var steps = final.Status == "completed" ? new[] { "initiated", "ringing", "in-progress" } : ["initiated", "ringing"];
                            var sequence = 0;
                            foreach (var (status, extra) in steps.Select(st => (st, Array.Empty<(string, string)>())).Append(final))
                            {
                                var form = TwilioEndToEndTests.Callback(sid, status, sequence++, extra);
                                var signature = await TwilioNode.SignatureAsync(TwilioMock.AuthToken, TwilioEndToEndTests.PublicBase + path, form);
                                for (var attempt = 0; ; attempt++)
                                {
                                    try
                                    {
                                        using var request = new HttpRequestMessage(HttpMethod.Post, At((k + attempt) % 3, path)) { Content = new FormUrlEncodedContent(form) };
                                        request.Headers.Add(TwilioSignature.Header, signature);
                                        using var response = await http.SendAsync(request);
                                        if (response.IsSuccessStatusCode)
                                        {
                                            break;
                                        }
                                    }
                                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                                    {
                                        // A dead or frozen node: Twilio retries elsewhere (the load balancer's next target).
                                    }
                                    Assert.True(attempt < 60, $"callback {status} for {sid} was never taken");
                                    await Task.Delay(250);
                                }
                            }
                        }));
                    }
                    await Task.Delay(50);
                }
            });

            var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var chaos = Task.Run(async () =>
            {
                await WaitAsync(() => acknowledged.Count >= total * 3 / 10, "30 % of the calls to be accepted", TimeSpan.FromMinutes(5));
                nodes[2].Kill();
                await Task.Delay(1000);
                await nodes[2].DisposeAsync();
                nodes[2] = await ServerProcess.StartAsync(ports[2], Env(2));
                await WaitAsync(() => acknowledged.Count >= total * 6 / 10, "60 % of the calls to be accepted", TimeSpan.FromMinutes(5));
                nodes[1].Pause();
                await Task.Delay(TimeSpan.FromSeconds(6));
                nodes[1].Resume();
            });
            await SubmitAsync(http, At, total, i => new JsonObject
            {
                ["to"] = Numbers.Next("0000"),
                ["from"] = TwilioEndToEndTests.TwilioNumber,
                ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
            }, acknowledged);
            await chaos;
            Assert.Equal(total, acknowledged.Count);

            await using var db = new Npgsql.NpgsqlDataSourceBuilder(connectionString).Build();
            await WaitAllEndedAsync(db, total, TimeSpan.FromMinutes(5));
            stop.Cancel();
            await twilio;
            await Task.WhenAll(callbacks);
            var stored = await IdsAsync(db, "SELECT id FROM calls");
            Assert.Equal(total, stored.Count);
            Assert.All(acknowledged.Values, id => Assert.Contains(id, stored));

            // Twilio's own record: each attempt created once, every create one Outdial recorded, every request valid by the spec.
            var created = front.Created.Select(c => c.Request["StatusCallback"]!.Split('/')[^2]).ToList();
            Assert.Equal(created.Count, created.Distinct(StringComparer.Ordinal).Count());
            var attempts = await AttemptsAsync(db);
            var recorded = attempts.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
            Assert.All(created, a => Assert.Contains(a, recorded));
            Assert.True(created.Count >= total * 9 / 10, $"only {created.Count} of {total} calls reached Twilio");
            Assert.All(front.Requests, r => Assert.True(r.MockStatus is >= 200 and < 300, $"{r.Method} {r.Path} -> {r.MockStatus}"));
            var overlap = MaxOverlap(attempts.Where(a => a.Dialed).Select(a => (a.Start, a.End ?? DateTime.MaxValue)));
            Assert.InRange(overlap, 1, AccountMaxConcurrent + 1);
            // The calls whose callbacks never came were ended by the reconciler from Twilio's answer.
            Assert.Contains(front.Requests, r => HttpMethods.IsGet(r.Method) && r.Path.Contains("/Calls/CA", StringComparison.Ordinal));
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
            await mock.DisposeAsync();
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


    /// <summary>A node's settings: PostgreSQL, short leases and timeouts so that a dead node is noticed within seconds.</summary>
    private static Dictionary<string, string> NodeEnv(string connectionString, string dataDirectory, string ledger)
    {
        var env = new Dictionary<string, string>
        {
            ["Outdial__Database__Provider"] = "postgres",
            ["ConnectionStrings__Outdial"] = connectionString,
            ["Outdial__DataDirectory"] = dataDirectory,
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
            ["Outdial__Api__RateLimitPerMinute"] = "1000000",
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

    /// <summary>
    /// Sends <paramref name="count"/> calls (bodies from <paramref name="body"/>) to the nodes in turn, <see cref="Clients"/> at a
    /// time, each with its own Idempotency-Key; a request that got no answer, a 409 (the key in flight elsewhere) or a 5xx is
    /// sent again to the next node, as a load balancer's client would. Records each acknowledged call's id by key.
    /// </summary>
    private static Task SubmitAsync(HttpClient http, Func<int, string, Uri> at, int count, Func<int, JsonObject> body,
        System.Collections.Concurrent.ConcurrentDictionary<string, string> acknowledged) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, ct) =>
        {
            var request = body(i);
            var key = $"cluster-{i}";
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var response = await http.PostCallAsync(at((i + attempt) % 3, "/v1/calls"), request, key);
                    if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                    {
                        acknowledged[key] = (string)(await response.JsonAsync())["id"]!;
                        return;
                    }
                    // 409: the same key is still in flight on another node; 5xx: the database went away; try again elsewhere.
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // No answer (killed or frozen node): the client does not know whether the call was taken.
                }
                Assert.True(attempt < 100, $"call {i} was never acknowledged");
                await Task.Delay(200, ct);
            }
        });

    private static async Task<HashSet<string>> IdsAsync(Npgsql.NpgsqlDataSource db, string sql)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var cmd = db.CreateCommand(sql);
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            ids.Add(rows.GetString(0));
        }
        return ids;
    }

    private sealed record AttemptRow(string Id, DateTime Start, DateTime? End, bool Dialed);

    /// <summary>Every attempt as stored (<c>call_attempts.doc</c>, the attempt's JSON).</summary>
    private static async Task<List<AttemptRow>> AttemptsAsync(Npgsql.NpgsqlDataSource db)
    {
        var list = new List<AttemptRow>();
        await using var cmd = db.CreateCommand("SELECT doc FROM call_attempts");
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            var doc = JsonNode.Parse(rows.GetString(0))!;
            list.Add(new AttemptRow((string)doc["id"]!, ((DateTimeOffset)doc["createdAt"]!).UtcDateTime,
                ((DateTimeOffset?)doc["endedAt"])?.UtcDateTime, doc["providerCallId"] is not null && !((string)doc["providerCallId"]!).StartsWith("refused:", StringComparison.Ordinal)));
        }
        return list;
    }

    /// <summary>Waits until <paramref name="expected"/> calls are stored and none is still on its way.</summary>
    private static async Task WaitAllEndedAsync(Npgsql.NpgsqlDataSource db, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            long count = -1, open = -1;
            try
            {
                await using var cmd = db.CreateCommand(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE status NOT IN ('ended', 'canceled', 'expired', 'blocked')) FROM calls");
                await using var rows = await cmd.ExecuteReaderAsync();
                await rows.ReadAsync();
                (count, open) = (rows.GetInt64(0), rows.GetInt64(1));
                if (count >= expected && open == 0)
                {
                    return;
                }
            }
            catch (Npgsql.NpgsqlException)
            {
                db.Clear(); // PostgreSQL was restarted under the pool's connections
            }
            Assert.True(DateTime.UtcNow < deadline, $"timed out: {count} of {expected} calls stored, {open} not ended");
            await Task.Delay(250);
        }
    }

    /// <summary>The most spans open at one instant; a span ending at the instant another starts does not overlap it.</summary>
    private static int MaxOverlap(IEnumerable<(DateTime Start, DateTime End)> spans)
    {
        var edges = spans.SelectMany(s => new[] { (At: s.Start, Delta: 1), (At: s.End, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta); // ends before starts at the same instant
        int open = 0, max = 0;
        foreach (var (_, delta) in edges)
        {
            open += delta;
            max = Math.Max(max, open);
        }
        return max;
    }

    /// <summary>The most of <paramref name="starts"/> that fall in any one-second window.</summary>
    private static int MaxInOneSecond(List<DateTime> starts)
    {
        var sorted = starts.Order().ToList();
        return sorted.Select((s, k) => sorted.Skip(k).TakeWhile(t => t < s.AddSeconds(1)).Count()).Max();
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
}

/// <summary>Tests that need the machine to themselves: xunit runs this collection after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
