using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>The README's first five minutes, at any hour; and an analysis interrupted by a crash.</summary>
public sealed class QuickStartTests
{
    /// <summary>Sunday 2026-12-06 03:00 UTC: 22:00 Saturday in New York, inside the federal quiet hours (47 CFR 64.1200(c)(1)).</summary>
    private static readonly DateTimeOffset SundayThreeAm = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task QuickStartNumber_AtThreeOnASundayMorning_IsDialedAtOnce_WhileARealNumberWaitsForLegalHours()
    {
        var clock = new ManualClock(SundayThreeAm);
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>
        {
            ["Outdial:Compliance:LegalFloorEnabled"] = "true",
            ["Outdial:Insights:SettleDelay"] = "00:00:00.100",
        }, clock);

        var fictional = await (await host.Client.PostCallAsync(Calls.Body("+12125550123", b =>
        {
            b["insightQuestions"] = new JsonArray("Is now a good time?");
            b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hi.", "Yes, it is.") };
        }))).JsonAsync();
        Assert.Equal("queued", (string?)fictional["status"]);
        Assert.Equal("fictional_test_number", (string?)fictional["decisions"]![0]!["reasons"]![0]!["code"]);

        var real = await (await host.Client.PostCallAsync(Calls.Body("+12125551234"))).JsonAsync();
        Assert.Equal("scheduled", (string?)real["status"]);
        Assert.Equal("legal_quiet_hours", (string?)real["decision"]!["reason"]);
        Assert.Equal(new DateTime(2026, 12, 6, 13, 0, 0, DateTimeKind.Utc), (DateTime)real["scheduledFor"]!); // 08:00 in New York

        // The busy example of the quick start (the fictional range's ...0101) is dialed at once too.
        var busy = await (await host.Client.PostCallAsync(Calls.Body("+12125550101"))).JsonAsync();
        Assert.Equal("queued", (string?)busy["status"]);

        var id = (string)fictional["id"]!;
        await host.WaitForSettledAsync(id, TimeSpan.FromSeconds(30), pump: () => clock.Advance(TimeSpan.FromMilliseconds(200)));
        var ended = await host.WaitForCallAsync((string)busy["id"]!, c => (string?)c["status"] == "ended", pump: () => clock.Advance(TimeSpan.FromMilliseconds(200)));
        Assert.Equal("busy", (string?)ended["outcome"]);
        var insights = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights"))!;
        Assert.Equal("Yes, it is.", (string?)insights["answers"]![0]!["answer"]);
        Assert.Equal(0, (int)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{real["id"]}"))!["attemptCount"]!);
    }

    [Fact]
    public async Task ServerStoppedDuringAnAnalysis_AnalysesItAfterTheRestart()
    {
        await using var model = await FakeOpenAi.StartAsync();
        var analysing = new TaskCompletionSource();
        model.Responder = r =>
        {
            if (r.ResponseFormat is null)
            {
                return FakeReply.ToolCalls("Goodbye.", ("end_call", """{"reason":"completed"}"""));
            }
            analysing.TrySetResult();
            return FakeReply.Hang(); // the first server never gets its answer
        };
        var settings = ModelConversationTests.Settings(model);
        settings["Outdial:Insights:LeaseDuration"] = "00:00:02";
        settings["Outdial:Llm:AnalysisTimeout"] = "00:01:00";
        var first = await OutdialHost.StartAsync(settings);
        var response = await first.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["insightQuestions"] = new JsonArray("Any questions?")));
        var id = (string)(await response.JsonAsync())["id"]!;
        await first.WaitForCallAsync(id, c => (string?)c["status"] == "ended");
        await analysing.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("running", (string?)(await first.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights"))!["status"]);
        await first.StopKeepingDataAsync();

        model.Responder = r => r.ResponseFormat is null
            ? FakeReply.Text("Hello.")
            : FakeReply.Json("""{"answers":{"any_questions":{"status":"not_discussed","answer":null,"confidence":0.7,"evidence":[]}},"summary":"The agent said goodbye.","success":null}""");
        settings["Outdial:DataDirectory"] = first.DataDirectory;
        var second = await OutdialHost.StartAsync(settings);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject insights;
        while ((string?)(insights = (await second.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights"))!)["status"] != "completed")
        {
            Assert.True(DateTime.UtcNow < deadline, "the analysis was not run again after the restart: " + insights.ToJsonString());
            await Task.Delay(50);
        }
        Assert.Equal(2, (int)insights["attempts"]!);
        Assert.Equal("not_discussed", (string?)insights["answers"]![0]!["status"]);
        Assert.Equal(HttpStatusCode.OK, (await second.Client.GetAsync($"/v1/calls/{id}/insights/history")).StatusCode);
        await second.DisposeAsync();
        await first.DisposeAsync(); // removes the data directory both used
    }
}
