using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Receivers that are down for hours or days, driven by a manual clock: the retry schedule (immediately, 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h) runs in simulated time while deliveries are real HTTP requests over loopback.
/// </summary>
public sealed class WebhookOutageTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);

    private static Task<OutdialHost> StartAsync(ManualClock clock, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(WebhookTests.Loopback)
        {
            ["Outdial:Webhooks:PollInterval"] = "00:00:01",
            // The clock jumps by minutes or hours while an attempt may still be in flight in real time; a lease longer than
            // any jump keeps such an attempt from being claimed twice (lease expiry is tested elsewhere, without jumps).
            ["Outdial:Webhooks:LeaseDuration"] = "3.00:00:00",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return OutdialHost.StartAsync(settings, clock);
    }

    /// <summary>Moves the clock in <paramref name="step"/>s until <paramref name="until"/> (simulated time), letting real work run in between.</summary>
    private static async Task AdvanceToAsync(ManualClock clock, DateTimeOffset until, TimeSpan step)
    {
        while (clock.GetUtcNow() < until)
        {
            clock.Advance(step);
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Moves the clock in <paramref name="step"/>s until <paramref name="done"/> holds; past <paramref name="limit"/> (simulated
    /// time) it moves on in 1 s steps for 30 s of real time, for work that was due before the limit but that a loaded
    /// machine has not finished yet (each 10 ms step moves simulated time by a whole step), then fails.
    /// </summary>
    private static async Task AdvanceUntilAsync(ManualClock clock, TimeSpan step, DateTimeOffset limit, Func<Task<bool>> done, string what)
    {
        Stopwatch? grace = null;
        while (!await done())
        {
            if (clock.GetUtcNow() < limit)
            {
                clock.Advance(step);
                await Task.Delay(10);
                continue;
            }
            grace ??= Stopwatch.StartNew();
            Assert.True(grace.Elapsed < TimeSpan.FromSeconds(30), $"{what} did not happen by {limit:O}");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }
    }

    private static async Task<JsonArray> DeliveriesAsync(HttpClient client, string query = "") =>
        (await client.GetFromJsonAsync<JsonObject>("/v1/webhook-deliveries?limit=100" + query))!["data"]!.AsArray();

    private static async Task<List<string>> EventIdsAsync(HttpClient client, IEnumerable<string> callIds)
    {
        var ids = new List<string>();
        foreach (var id in callIds)
        {
            ids.AddRange((await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["id"]!));
        }
        return ids;
    }

    /// <summary>Per call, the first arrival of each event is in sequence order with none missing.</summary>
    private static void AssertInOrderPerCall(IEnumerable<ReceivedWebhook> accepted)
    {
        foreach (var call in accepted.GroupBy(r => r.CallId))
        {
            var firstArrivals = call.DistinctBy(r => r.Id).Select(r => r.Sequence).ToList();
            Assert.Equal(Enumerable.Range(1, firstArrivals.Count).Select(i => (long)i), firstArrivals);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(24)]
    public async Task ReceiverDownForHours_GetsEveryEventAfterItRecovers_InOrderPerCall(int hours)
    {
        var clock = new ManualClock(Start);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => null; // down: the connection is dropped without an answer
        await using var host = await StartAsync(clock);
        await WebhookTests.CreateEndpointAsync(host.Client, receiver.Url());
        var calls = new List<string>();
        foreach (var suffix in new[] { "0003", "0001", "5678" })
        {
            calls.Add((string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next(suffix)))).JsonAsync())["id"]!);
        }
        foreach (var id in calls)
        {
            await host.WaitForSettledAsync(id, TimeSpan.FromSeconds(30), pump: () => clock.Advance(TimeSpan.FromMilliseconds(200)));
        }
        var expected = await EventIdsAsync(host.Client, calls);

        await AdvanceToAsync(clock, Start.AddHours(hours), TimeSpan.FromMinutes(5));
        Assert.Empty(receiver.Accepted);
        Assert.True(receiver.Received.Count >= calls.Count * 2, "the receiver was tried while down");
        receiver.Respond = _ => 204;

        // The next retry is due within 10 h of recovery; the limit leaves room for a loaded machine on which simulated
        // time runs ahead of the deliverer.
        await AdvanceUntilAsync(clock, TimeSpan.FromMinutes(5), Start.AddHours(hours + 16),
            () => Task.FromResult(expected.All(id => receiver.Accepted.Any(r => r.Id == id))), "delivery of every event");
        AssertInOrderPerCall(receiver.Accepted);
        // webhook-timestamp is the time of the attempt that got through, not of the event: at least the 3rd attempt of the
        // call's first event (5 min after it; the first two failed at once while the receiver was down). Not "after the
        // recovery": an attempt already in flight when the receiver recovered may get through.
        Assert.All(receiver.Accepted, r => Assert.True(
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(r.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture))
                >= DateTimeOffset.Parse((string)r.Json["timestamp"]!, System.Globalization.CultureInfo.InvariantCulture).AddMinutes(5),
            $"{r.Type} of {r.Json["timestamp"]} signed at {r.Headers["webhook-timestamp"]}"));
        await AdvanceUntilAsync(clock, TimeSpan.FromSeconds(1), clock.GetUtcNow().AddMinutes(1),
            async () => (await DeliveriesAsync(host.Client, "&status=pending")).Count == 0, "no delivery left pending");
        var log = await DeliveriesAsync(host.Client);
        Assert.Equal(expected.Count, log.Count);
        Assert.All(log, d => Assert.Equal("succeeded", (string?)d!["status"]));
        // Each call's first event carried the outage: several failed attempts, then one success.
        var heads = log.Where(d => (long)d!["sequence"]! == 1).ToList();
        Assert.All(heads, d => Assert.True((int)d!["attemptCount"]! >= 3));
        Assert.All(heads, d => Assert.NotNull(d!["attempts"]![0]!["error"]));
    }

    [Fact]
    public async Task ReceiverDownLongerThanTheSchedule_EventsEndFailed_OneReplayDeliversThemAll()
    {
        var clock = new ManualClock(Start);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => 500;
        await using var host = await StartAsync(clock);
        var endpoint = await WebhookTests.CreateEndpointAsync(host.Client, receiver.Url());
        // Scheduled far ahead and then canceled: two events per call (call.scheduled, call.canceled), no dialing.
        var calls = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["notBefore"] = "2027-06-01T00:00:00Z"))).JsonAsync())["id"]!;
            Assert.Equal(HttpStatusCode.OK, (await host.Client.PostAsync($"/v1/calls/{id}/cancel", null)).StatusCode);
            calls.Add(id);
        }
        var expected = await EventIdsAsync(host.Client, calls);
        Assert.Equal(6, expected.Count);

        // Each event gets eight attempts over ~28 h; a call's second event starts only after its first failed for good.
        await AdvanceUntilAsync(clock, TimeSpan.FromMinutes(30), Start.AddHours(100),
            async () => (await DeliveriesAsync(host.Client, "&status=pending")).Count == 0, "every delivery failing for good");
        var failed = await DeliveriesAsync(host.Client, "&status=failed");
        Assert.Equal(6, failed.Count);
        Assert.All(failed, d => Assert.Equal(8, (int)d!["attemptCount"]!));
        Assert.All(failed, d => Assert.All(d!["attempts"]!.AsArray(), a => Assert.Equal(500, (int)a!["statusCode"]!)));
        var endpointNow = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{(string)endpoint["id"]!}"))!;
        Assert.True((bool)endpointNow["enabled"]!);
        Assert.NotNull(endpointNow["failingSince"]);
        Assert.Empty(receiver.Accepted);

        receiver.Respond = _ => 204;
        var replay = await host.Client.PostAsJsonAsync($"/v1/webhook-endpoints/{(string)endpoint["id"]!}/replay",
            new { since = Start.AddHours(-1).ToString("O") });
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(6, (int)(await replay.JsonAsync())["replayed"]!);
        await AdvanceUntilAsync(clock, TimeSpan.FromSeconds(1), clock.GetUtcNow().AddMinutes(5),
            () => Task.FromResult(expected.All(id => receiver.Accepted.Any(r => r.Id == id))), "delivery of every replayed event");
        AssertInOrderPerCall(receiver.Accepted);
        Assert.Equal(["call.scheduled", "call.canceled"], receiver.Accepted.Where(r => r.CallId == calls[0]).Select(r => r.Type));
        await AdvanceUntilAsync(clock, TimeSpan.FromSeconds(1), clock.GetUtcNow().AddMinutes(1),
            async () => (await DeliveriesAsync(host.Client, "&status=succeeded")).Count == 6, "the log showing every delivery succeeded");
        Assert.Null((await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{(string)endpoint["id"]!}"))!["failingSince"]);
    }

    [Fact]
    public async Task EndpointFailingContinuouslyPastTheLimit_IsDisabled_VisibleThroughTheApi()
    {
        var clock = new ManualClock(Start);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => 503;
        await using var host = await StartAsync(clock, new Dictionary<string, string> { ["Outdial:Webhooks:DisableAfter"] = "02:00:00" });
        var endpoint = await WebhookTests.CreateEndpointAsync(host.Client, receiver.Url());
        var id = (string)endpoint["id"]!;
        await host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["notBefore"] = "2027-06-01T00:00:00Z"));

        await AdvanceToAsync(clock, Start.AddMinutes(90), TimeSpan.FromMinutes(5));
        Assert.True((bool)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{id}"))!["enabled"]!);
        // The first retry after the 2-hour mark is due 2 h 35 min after the first failure; the limit leaves room for a
        // loaded machine on which simulated time runs ahead of the deliverer (the schedule is relative to each attempt).
        await AdvanceUntilAsync(clock, TimeSpan.FromMinutes(10), Start.AddHours(12),
            async () => (bool)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{id}"))!["enabled"]! == false, "the endpoint being disabled");
        var disabled = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{id}"))!;
        Assert.Equal("failing", (string?)disabled["disabledReason"]);
        Assert.Equal("failed", (string?)(await DeliveriesAsync(host.Client))[0]!["status"]);

        // Replay is refused until the account enables it again; enabling clears the failure record.
        var refused = await host.Client.PostAsJsonAsync($"/v1/webhook-endpoints/{id}/replay", new { since = Start.ToString("O") });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var enabled = await (await host.Client.PatchAsync($"/v1/webhook-endpoints/{id}", JsonContent.Create(new { enabled = true }))).JsonAsync();
        Assert.True((bool)enabled["enabled"]!);
        Assert.Null(enabled["disabledReason"]);
        Assert.Null(enabled["failingSince"]);
    }
}
