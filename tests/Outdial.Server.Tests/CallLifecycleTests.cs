using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class CallLifecycleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    [Fact]
    public async Task Trigger_HumanNumber_IsQueuedDialedAnsweredAndEnded()
    {
        var response = await Host.Client.PostCallAsync(Calls.Body(Numbers.Next()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = await response.JsonAsync();
        var id = (string)call["id"]!;
        Assert.Equal($"/v1/calls/{id}", response.Headers.Location!.ToString());
        Assert.Equal("queued", (string?)call["status"]);
        Assert.Equal("queued", (string?)call["decision"]!["action"]);
        Assert.Equal("account_default", (string?)call["agentSource"]);

        var ended = await OutdialHost.WaitForStatusAsync(Host, id, "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(200, (int)ended["outcomeDetail"]!["sipCode"]!);
        Assert.Equal("human", (string?)ended["outcomeDetail"]!["answeredBy"]);

        var events = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray();
        Assert.Equal(["call.queued", "call.dialing", "call.ringing", "call.answered", "call.ended"], events.Select(e => (string)e!["type"]!));
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => (long)e!["sequence"]!));
        var attempt = Assert.Single((await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray());
        Assert.StartsWith("SB", (string)attempt!["providerCallId"]!, StringComparison.Ordinal);
        Assert.Equal("completed", (string?)attempt["status"]);
    }

    [Theory]
    [InlineData("0001", "busy", 486, 17, "call.ended")]
    [InlineData("0002", "no_answer", 487, 19, "call.ringing")]
    [InlineData("0003", "rejected", 603, 21, "call.ringing")]
    [InlineData("0004", "invalid_number", 404, 1, "call.dialing")]
    [InlineData("0005", "unreachable", 480, 20, "call.dialing")]
    [InlineData("0006", "voicemail", 200, 16, "call.voicemail")]
    [InlineData("0007", "error", 500, 41, "call.dialing")]
    [InlineData("4242", "answered", 200, 16, "call.answered")]
    public async Task SandboxNumber_EndsWithDocumentedOutcomeAndCodes(string suffix, string outcome, int sip, int q850, string expectedEvent)
    {
        var response = await Host.Client.PostCallAsync(Calls.Body(Numbers.Next(suffix), b => b["ringTimeoutSec"] = 5));
        var id = (string)(await response.JsonAsync())["id"]!;
        var ended = await OutdialHost.WaitForStatusAsync(Host, id, "ended");
        Assert.Equal(outcome, (string?)ended["outcome"]);
        Assert.Equal(sip, (int)ended["outcomeDetail"]!["sipCode"]!);
        Assert.Equal(q850, (int)ended["outcomeDetail"]!["q850Code"]!);
        var types = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["type"]!).ToList();
        Assert.Contains(expectedEvent, types);
        Assert.Equal("call.ended", types[^1]);
    }

    [Fact]
    public async Task RetryPolicy_BusyNumberIsDialedAgain_UpToMaxAttempts()
    {
        var body = Calls.Body(Numbers.Next("0001"), b =>
        {
            b["maxAttempts"] = 3;
            b["retryCooldownSec"] = new JsonObject { ["busy"] = 0 };
        });
        var id = (string)(await (await Host.Client.PostCallAsync(body)).JsonAsync())["id"]!;
        var ended = await OutdialHost.WaitForStatusAsync(Host, id, "ended");
        Assert.Equal("busy", (string?)ended["outcome"]);
        Assert.Equal(3, (int)ended["attemptCount"]!);
        var attempts = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]!.AsArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => (int)a!["number"]!));
        var types = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["type"]!);
        Assert.Equal(2, types.Count(t => t == "call.scheduled"));
    }

    [Fact]
    public async Task Duplicate_SecondCallToPendingNumber_Is409WithExistingCall_UnlessAllowed()
    {
        var to = Numbers.Next();
        var later = DateTime.UtcNow.AddHours(1).ToString("O");
        var first = await (await Host.Client.PostCallAsync(Calls.Body(to, b => b["notBefore"] = later))).JsonAsync();
        var second = await Host.Client.PostCallAsync(Calls.Body(to));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.JsonAsync();
        Assert.Equal("urn:outdial:problem:duplicate_call", (string?)problem["type"]);
        Assert.Equal((string?)first["id"], (string?)problem["existingCall"]!["id"]);
        var allowed = await Host.Client.PostCallAsync(Calls.Body(to, b => b["allowDuplicates"] = true));
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task Cancel_ScheduledCall_IsIdempotent_AndEndedCallIsNotCancelable()
    {
        var body = Calls.Body(Numbers.Next(), b => b["notBefore"] = DateTime.UtcNow.AddHours(2).ToString("O"));
        var call = await (await Host.Client.PostCallAsync(body)).JsonAsync();
        Assert.Equal("scheduled", (string?)call["status"]);
        Assert.Equal("not_before", (string?)call["decision"]!["reason"]);
        var id = (string)call["id"]!;
        var first = await Host.Client.PostAsync($"/v1/calls/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("canceled", (string?)(await first.JsonAsync())["status"]);
        var again = await Host.Client.PostAsync($"/v1/calls/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var types = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/events"))!["data"]!.AsArray().Select(e => (string)e!["type"]!);
        Assert.Equal(["call.scheduled", "call.canceled"], types);

        var busy = (string)(await (await Host.Client.PostCallAsync(Calls.Body(Numbers.Next("0001")))).JsonAsync())["id"]!;
        await OutdialHost.WaitForStatusAsync(Host, busy, "ended");
        var late = await Host.Client.PostAsync($"/v1/calls/{busy}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("urn:outdial:problem:call_not_cancelable", (string?)(await late.JsonAsync())["type"]);
    }

    [Fact]
    public async Task CallingWindow_OutsideWindow_SchedulesForNextOpening_OrRejectsPerAgent()
    {
        var day = DateTime.UtcNow.Date.AddDays(2);
        var dayName = day.DayOfWeek.ToString()[..3].ToLowerInvariant();
        var window = new JsonObject
        {
            ["timeZone"] = "Etc/UTC",
            ["days"] = new JsonArray(dayName),
            ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "10:00" }),
        };
        var queueAgent = await Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject { ["name"] = "Window queue " + Guid.NewGuid().ToString("N")[..6], ["callingWindow"] = window.DeepClone() });
        Assert.Equal(HttpStatusCode.Created, queueAgent.StatusCode);
        var agentId = (string)(await queueAgent.JsonAsync())["id"]!;
        var call = await (await Host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["agentId"] = agentId))).JsonAsync();
        Assert.Equal("scheduled", (string?)call["status"]);
        Assert.Equal("outside_window", (string?)call["decision"]!["reason"]);
        Assert.Equal(day.AddHours(9), DateTime.Parse((string)call["decision"]!["scheduledFor"]!, null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        Assert.Equal("request", (string?)call["agentSource"]);

        var rejectAgent = await Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Window reject " + Guid.NewGuid().ToString("N")[..6],
            ["callingWindow"] = window.DeepClone(),
            ["outsideWindow"] = "reject",
        });
        var rejectId = (string)(await rejectAgent.JsonAsync())["id"]!;
        var to = Numbers.Next();
        var refused = await Host.Client.PostCallAsync(Calls.Body(to, b => b["agentId"] = rejectId));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("urn:outdial:problem:outside_calling_window", (string?)(await refused.JsonAsync())["type"]);
        var stored = await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}");
        Assert.Empty(stored!["data"]!.AsArray());
    }

    [Fact]
    public async Task ListCalls_FiltersByStatusAndPagesWithCursor()
    {
        var to = Numbers.Next();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var body = Calls.Body(to, b =>
            {
                b["allowDuplicates"] = true;
                b["notBefore"] = DateTime.UtcNow.AddHours(3).ToString("O");
            });
            ids.Add((string)(await (await Host.Client.PostCallAsync(body)).JsonAsync())["id"]!);
        }
        var q = $"/v1/calls?to={Uri.EscapeDataString(to)}&status=scheduled&limit=2";
        var page1 = (await Host.Client.GetFromJsonAsync<JsonObject>(q))!;
        Assert.Equal([ids[2], ids[1]], page1["data"]!.AsArray().Select(c => (string)c!["id"]!));
        var page2 = (await Host.Client.GetFromJsonAsync<JsonObject>($"{q}&cursor={page1["nextCursor"]}"))!;
        Assert.Equal([ids[0]], page2["data"]!.AsArray().Select(c => (string)c!["id"]!));
        Assert.Null(page2["nextCursor"]);
        var bad = await Host.Client.GetAsync("/v1/calls?status=nope");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("urn:outdial:problem:invalid_query", (string?)(await bad.JsonAsync())["type"]);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed()
    {
        var doc = await new HttpClient { BaseAddress = Host.BaseAddress }.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        Assert.NotNull(doc!["paths"]!["/v1/calls"]);
        Assert.NotNull(doc["paths"]!["/v1/agents"]);
    }
}
