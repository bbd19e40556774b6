using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Behaviour that depends on time, driven by a manual clock instead of sleeps.</summary>
public sealed class ClockDrivenTests
{
    [Fact]
    public async Task ScheduledCall_NotDialedBeforeExpiry_EndsExpired()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero));
        await using var host = await OutdialHost.StartAsync(clock: clock);
        var body = Calls.Body(Numbers.Next(), b =>
        {
            b["notBefore"] = "2026-11-21T15:00:30Z";
            b["expiresAt"] = "2026-11-21T15:00:40Z";
        });
        var call = await (await host.Client.PostCallAsync(body)).JsonAsync();
        Assert.Equal("scheduled", (string?)call["status"]);
        var id = (string)call["id"]!;
        // Jump past both times at once: the dispatcher finds the call due but expired, and must not dial it.
        clock.Advance(TimeSpan.FromSeconds(45));
        var expired = await host.WaitForCallAsync(id, c => (string?)c["status"] == "expired", pump: () => clock.Advance(TimeSpan.FromMilliseconds(100)));
        Assert.Equal("expired", (string?)expired["statusReason"]);
        Assert.Empty((await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray());
        var types = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["type"]!);
        Assert.Equal(["call.scheduled", "call.expired"], types);
    }

    [Fact]
    public async Task NotBefore_CallIsDialedOnlyOnceTimeComes()
    {
        var start = new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var host = await OutdialHost.StartAsync(clock: clock);
        var body = Calls.Body(Numbers.Next("0001"), b => b["notBefore"] = "2026-11-21T15:10:00Z");
        var id = (string)(await (await host.Client.PostCallAsync(body)).JsonAsync())["id"]!;
        // Let simulated time run in 5-second steps; the dial must happen at the first dispatch round at or after 15:10.
        var ended = await host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", TimeSpan.FromSeconds(30),
            pump: () => clock.Advance(TimeSpan.FromSeconds(5)));
        Assert.Equal("busy", (string?)ended["outcome"]);
        var attempt = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
        var dialedAt = DateTimeOffset.Parse((string)attempt["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(dialedAt, start.AddMinutes(10), start.AddMinutes(10).AddSeconds(10));
    }

    [Fact]
    public async Task ScheduledCall_IsDialedAtItsDueTime_NotAtTheDispatchersNextPoll()
    {
        // A poll interval of an hour: only the dispatcher's sleep until the earliest due time can dial the call on time.
        var start = new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dispatcher:PollInterval"] = "01:00:00" }, clock: clock);
        async Task<string> ScheduleAsync(string notBefore)
        {
            var response = await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0001"), b => b["notBefore"] = notBefore));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (string)(await response.JsonAsync())["id"]!;
        }
        var early = await ScheduleAsync("2026-11-21T15:00:30Z");
        var late = await ScheduleAsync("2026-11-21T15:00:50Z");
        foreach (var (id, due) in new[] { (early, start.AddSeconds(30)), (late, start.AddSeconds(50)) })
        {
            // Simulated time moves up to the due time, a second per poll of the test, and stops there: the dispatcher's own
            // timer must fire at the due time (with the poll interval, it would sleep on for the best part of an hour).
            await host.WaitForCallAsync(id, c => (string?)c["status"] != "scheduled", TimeSpan.FromSeconds(30),
                pump: () => clock.Advance(TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, (due - clock.GetUtcNow()).Ticks))));
            var attempt = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
            Assert.Equal(due, DateTimeOffset.Parse((string)attempt["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task CallHeldBackByTheCallerIdsCps_IsDialedAtItsSlot_NotAtTheDispatchersNextPoll()
    {
        var start = new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dispatcher:PollInterval"] = "01:00:00" }, clock: clock);
        var phone = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/phone-numbers"))!["data"]!.AsArray()[0]!;
        var patch = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/v1/phone-numbers/{phone["id"]}")
        {
            Content = JsonContent.Create(new { callsPerSecond = 1 }),
        });
        Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        // Two calls due now through a caller ID allowed one dial a second: the second is handed back until the next slot,
        // and the round that held it back (every call it claimed held) sleeps until that slot, not for the poll interval.
        var first = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0001")))).JsonAsync())["id"]!;
        var second = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0001")))).JsonAsync())["id"]!;
        await host.WaitForCallAsync(first, c => (string?)c["status"] != "queued");
        var slot = start.AddSeconds(1);
        await host.WaitForCallAsync(second, c => (string?)c["status"] != "queued", TimeSpan.FromSeconds(30),
            pump: () => clock.Advance(TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond / 10, (slot - clock.GetUtcNow()).Ticks))));
        var attempt = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{second}/attempts"))!["data"]![0]!;
        Assert.Equal(slot, DateTimeOffset.Parse((string)attempt["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Cancel_ActiveCall_HangsUpAndKeepsCallCanceled()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Sandbox:SpeedFactor"] = "2" });
        var id = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next()))).JsonAsync())["id"]!;
        await host.WaitForCallAsync(id, c => (string?)c["status"] is "ringing" or "in_progress");
        var cancel = await host.Client.PostAsync($"/v1/calls/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("canceled", (string?)(await cancel.JsonAsync())["status"]);
        // The hang-up reaches the provider and the attempt records its end; the call stays canceled.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonNode? attempt = null;
        while (DateTime.UtcNow < deadline)
        {
            attempt = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0];
            if ((string?)attempt!["status"] == "completed")
            {
                break;
            }
            await Task.Delay(25);
        }
        Assert.Equal("completed", (string?)attempt!["status"]);
        Assert.Equal("canceled", (string?)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!["status"]);
    }
}
