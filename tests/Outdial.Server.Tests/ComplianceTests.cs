using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// The compliance engine end to end with the legal floor and the frequency cap switched on: the dry-run endpoint, intake
/// scheduling into the callee's legal hours, dial-time re-checks, caps across calls, consent records, the audit trail.
/// </summary>
public sealed class ComplianceTests
{
    /// <summary>Monday 2026-11-23 06:00 UTC = 01:00 in New York (EST): outside the federal 08:00–21:00.</summary>
    private static readonly DateTimeOffset NightInNewYork = new(2026, 11, 23, 6, 0, 0, TimeSpan.Zero);

    private static Task<OutdialHost> StartAsync(ManualClock clock) => OutdialHost.StartAsync(new Dictionary<string, string>
    {
        ["Outdial:Compliance:LegalFloorEnabled"] = "true",
        ["Outdial:Compliance:FrequencyCapMaxAttempts"] = "3",
    }, clock);

    private static async Task<JsonObject> CheckAsync(HttpClient client, JsonObject body)
    {
        var response = await client.PostAsJsonAsync("/v1/calls/check", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static string[] Codes(JsonObject check) => [.. check["reasons"]!.AsArray().Select(r => (string)r!["code"]!)];

    [Fact]
    public async Task Check_AtNightInNewYork_IsLegalQuietHours_WithRuleSource_AndNextEligibleAt8am()
    {
        var clock = new ManualClock(NightInNewYork);
        await using var host = await StartAsync(clock);
        var check = await CheckAsync(host.Client, Calls.Body("+12125550223"));
        Assert.False((bool)check["eligible"]!);
        Assert.Equal("defer", (string?)check["action"]);
        Assert.Contains("legal_quiet_hours", Codes(check));
        var reason = check["reasons"]!.AsArray().First(r => (string?)r!["code"] == "legal_quiet_hours")!;
        Assert.Contains("64.1200", (string?)reason["source"], StringComparison.Ordinal);
        Assert.Equal(new DateTime(2026, 11, 23, 13, 0, 0, DateTimeKind.Utc), (DateTime)check["nextEligibleAt"]!);

        // Evaluated at notBefore when given: 10:00 New York is fine.
        var later = await CheckAsync(host.Client, Calls.Body("+12125550223", b => b["notBefore"] = "2026-11-23T15:00:00Z"));
        Assert.True((bool)later["eligible"]!);
        Assert.Empty(later["reasons"]!.AsArray());
    }

    [Fact]
    public async Task Intake_SchedulesIntoLegalHours_AndRecordsTheDecision_ThenDialsAt8am()
    {
        var clock = new ManualClock(NightInNewYork);
        await using var host = await StartAsync(clock);
        var call = await (await host.Client.PostCallAsync(Calls.Body("+12125550224"))).JsonAsync();
        Assert.Equal("scheduled", (string?)call["status"]);
        Assert.Equal("legal_quiet_hours", (string?)call["decision"]!["reason"]);
        var decision = call["decisions"]!.AsArray().Single()!;
        Assert.Equal("intake", (string?)decision["stage"]);
        Assert.Equal("us.federal.tcpa_hours", (string?)decision["reasons"]![0]!["rule"]);

        // Seven hours later (08:00 New York) it is dialed, not before.
        var id = (string)call["id"]!;
        clock.Advance(TimeSpan.FromHours(6.9));
        await Task.Delay(300);
        Assert.Equal(0, (int)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!["attemptCount"]!);
        clock.Advance(TimeSpan.FromHours(0.1));
        var ended = await host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", pump: () => clock.Advance(TimeSpan.FromSeconds(1)));
        var attempt = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
        Assert.True((DateTime)attempt["createdAt"]! >= new DateTime(2026, 11, 23, 13, 0, 0, DateTimeKind.Utc));
        Assert.Equal("answered", (string?)ended["outcome"]);
    }

    [Fact]
    public async Task Dnc_RefusedAtIntake_AndBlockedAtDialTimeWhenAddedLater()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 23, 16, 0, 0, TimeSpan.Zero)); // 11:00 New York
        await using var host = await StartAsync(clock);
        var listed = "+12125550225";
        await host.Client.PostAsJsonAsync("/v1/dnc", new JsonObject { ["number"] = listed, ["optOut"] = true });
        Assert.Contains("dnc_listed", Codes(await CheckAsync(host.Client, Calls.Body(listed))));
        var refused = await host.Client.PostCallAsync(Calls.Body(listed));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("urn:outdial:problem:number_on_dnc", (string?)(await refused.JsonAsync())["type"]);

        // Accepted for later, then listed before its time: blocked at dial time with the reason recorded.
        var later = "+12125550226";
        var call = await (await host.Client.PostCallAsync(Calls.Body(later, b => b["notBefore"] = "2026-11-23T17:00:00Z"))).JsonAsync();
        await host.Client.PostAsJsonAsync("/v1/dnc", new JsonObject { ["number"] = later });
        clock.Advance(TimeSpan.FromHours(1));
        var blocked = await host.WaitForCallAsync((string)call["id"]!, c => (string?)c["status"] == "blocked", pump: () => clock.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal("dnc_listed", (string?)blocked["statusReason"]);
        Assert.Equal("blocked", (string?)blocked["decisions"]!.AsArray()[^1]!["action"]);
    }

    [Fact]
    public async Task FrequencyCap_FourthCallWithin24h_IsDeferredUntilTheFirstLeavesTheWindow()
    {
        var start = new DateTimeOffset(2026, 11, 23, 16, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var host = await StartAsync(clock);
        var to = "+12125550227";
        // A call scheduled for an hour later; by then the three calls below have used the cap.
        var waiting = (string)(await (await host.Client.PostCallAsync(Calls.Body(to, b => b["notBefore"] = "2026-11-23T17:00:00Z"))).JsonAsync())["id"]!;
        for (var i = 0; i < 3; i++)
        {
            var id = (string)(await (await host.Client.PostCallAsync(Calls.Body(to, b => b["allowDuplicates"] = true))).JsonAsync())["id"]!;
            await host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", pump: () => clock.Advance(TimeSpan.FromSeconds(1)));
            clock.Advance(TimeSpan.FromMinutes(10));
        }
        // Due now, deferred at dial time: no dial, the deferral and its rule on the call's audit trail.
        clock.Advance(TimeSpan.FromMinutes(40));
        var deferred = await host.WaitForCallAsync(waiting, c => c["decisions"]!.AsArray().Count >= 2, pump: () => clock.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal("scheduled", (string?)deferred["status"]);
        Assert.Equal(0, (int)deferred["attemptCount"]!);
        var last = deferred["decisions"]!.AsArray()[^1]!;
        Assert.Equal("dispatch", (string?)last["stage"]);
        Assert.Equal("deferred", (string?)last["action"]);
        Assert.Equal("frequency_cap", (string?)last["reasons"]![0]!["code"]);

        var check = await CheckAsync(host.Client, Calls.Body(to, b => b["allowDuplicates"] = true));
        Assert.Contains("frequency_cap", Codes(check));
        var next = (DateTime)check["nextEligibleAt"]!;
        Assert.InRange(next, start.UtcDateTime.AddHours(24), start.UtcDateTime.AddHours(24).AddMinutes(1));

        var account = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/account"))!;
        Assert.Equal(3, (int)account["frequencyCap"]!["maxAttempts"]!);
        await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
        {
            Content = JsonContent.Create(new JsonObject { ["frequencyCap"] = new JsonObject { ["maxAttempts"] = 5, ["windowSec"] = 86400 } }),
        });
        Assert.DoesNotContain("frequency_cap", Codes(await CheckAsync(host.Client, Calls.Body(to, b => b["allowDuplicates"] = true))));
    }

    [Fact]
    public async Task ConsentRecordMode_RequiresAValidRecord_AndLinksIt()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 23, 16, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(clock);
        await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
        {
            Content = JsonContent.Create(new JsonObject { ["requireConsentRecord"] = true }),
        });
        var to = "+12125550228";
        Assert.Contains("no_consent", Codes(await CheckAsync(host.Client, Calls.Body(to))));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await host.Client.PostCallAsync(Calls.Body(to))).StatusCode);

        var record = await (await host.Client.PostAsJsonAsync("/v1/consents", new JsonObject
        {
            ["number"] = to,
            ["source"] = "web_form",
            ["obtainedAt"] = "2026-11-01T10:00:00Z",
        })).JsonAsync();
        var call = await (await host.Client.PostCallAsync(Calls.Body(to))).JsonAsync();
        Assert.Equal((string?)record["id"], (string?)call["consentRecordId"]);
    }

    [Fact]
    public async Task CampaignWindow_EntirelyInLegalQuietHours_Is422AtCreation()
    {
        await using var host = await StartAsync(new ManualClock(NightInNewYork));
        var response = await host.Client.PostAsJsonAsync("/v1/campaigns", new JsonObject
        {
            ["name"] = "night owls",
            ["callingWindow"] = new JsonObject
            {
                ["timeZone"] = "callee",
                ["days"] = new JsonArray("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                ["ranges"] = new JsonArray(new JsonObject { ["start"] = "22:00", ["end"] = "07:00" }),
            },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("legal floor", (string?)(await response.JsonAsync())["errors"]!["callingWindow"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComplianceRules_ListsTheUsPackWithSources()
    {
        await using var host = await StartAsync(new ManualClock(NightInNewYork));
        var rules = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/compliance/rules"))!["data"]!.AsArray();
        var us = rules.Single(p => (string?)p!["id"] == "us")!;
        Assert.All(us["rules"]!.AsArray(), r => Assert.False(string.IsNullOrEmpty((string?)r!["source"])));
        Assert.Contains(us["rules"]!.AsArray(), r => (string?)r!["id"] == "us.federal.tcpa_hours");
    }

    [Fact]
    public async Task AgentWindowInTheCalleesZone_IsAccepted_AndHoldsInTheNumbersOwnZone()
    {
        // 06:00 UTC: 01:00 in New York, 07:00 in Berlin, 11:30 in India.
        await using var host = await StartAsync(new ManualClock(NightInNewYork));
        var agent = await host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Local hours",
            ["callingWindow"] = new JsonObject
            {
                ["timeZone"] = "callee",
                ["days"] = new JsonArray("mon", "tue", "wed", "thu", "fri"),
                ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "17:00" }),
            },
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var agentId = (string)(await agent.JsonAsync())["id"]!;
        Assert.Equal("callee", (string?)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/agents/{agentId}"))!["callingWindow"]!["timeZone"]);

        var india = await (await host.Client.PostCallAsync(Calls.Body("+919876543210", b => b["agentId"] = agentId))).JsonAsync();
        Assert.Equal("queued", (string?)india["status"]);
        var berlin = await (await host.Client.PostCallAsync(Calls.Body("+4930901820", b => b["agentId"] = agentId))).JsonAsync();
        Assert.Equal("scheduled", (string?)berlin["status"]);
        Assert.Equal(new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc), (DateTime)berlin["scheduledFor"]!); // 09:00 in Berlin

        var bad = await host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Nowhere",
            ["callingWindow"] = new JsonObject { ["timeZone"] = "Mars/Olympus_Mons", ["days"] = new JsonArray("mon"), ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "17:00" }) },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("or \"callee\"", (string?)(await bad.JsonAsync())["errors"]!["callingWindow"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PremiumRateNumber_IsRefusedAtIntakeWithItsReason_AndNothingIsStored()
    {
        await using var host = await StartAsync(new ManualClock(NightInNewYork));
        var before = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray().Count;
        var response = await host.Client.PostCallAsync(Calls.Body("+19002530000"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal("number_type_refused", (string?)problem["code"]);
        Assert.Contains("premium-rate", (string?)problem["errors"]!["to"]![0], StringComparison.Ordinal);
        Assert.Equal(before, (await host.Client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray().Count);

        // The dry run says the same; a toll-free number is not refused by default.
        Assert.Equal("number_type_refused", Codes(await CheckAsync(host.Client, Calls.Body("+19002530000")))[0]);
        Assert.DoesNotContain("number_type_refused", Codes(await CheckAsync(host.Client, Calls.Body("+18002530000"))));
    }

    [Fact]
    public async Task RefusedNumberTypes_AreTheOperatorsChoice()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>
        {
            ["Outdial:Compliance:RefusedNumberTypes:0"] = "unknown",
            ["Outdial:Compliance:RefusedNumberTypes:1"] = "toll_free",
        });
        Assert.Equal("number_type_refused", (string?)(await (await host.Client.PostCallAsync(Calls.Body("+18002530000"))).JsonAsync())["code"]);
        Assert.Equal("number_type_refused", (string?)(await (await host.Client.PostCallAsync(Calls.Body("+15551230001"))).JsonAsync())["code"]);
        // premium_rate was the default; a list in configuration replaces it.
        Assert.Equal(HttpStatusCode.Accepted, (await host.Client.PostCallAsync(Calls.Body("+19002530000"))).StatusCode);
    }
}
