using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// The sandbox runs the conversation engine in-process, with no model configured: the scripted agent speaks, the simulated
/// callee answers (scripted replies, then the default persona), and the transcript and insights follow — the quick start's path.
/// </summary>
public sealed class SandboxConversationTests(SandboxConversationTests.Fixture fixture) : IClassFixture<SandboxConversationTests.Fixture>
{
    /// <summary>One server with quick insights and a loopback webhook receiver subscribed to everything.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public OutdialHost Host { get; private set; } = null!;

        public WebhookReceiver Receiver { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Receiver = await WebhookReceiver.StartAsync();
            Host = await OutdialHost.StartAsync(new Dictionary<string, string>(WebhookTests.Loopback)
            {
                ["Outdial:Insights:SettleDelay"] = "00:00:00.100",
                ["Outdial:Insights:PollInterval"] = "00:00:00.050",
            });
            await WebhookTests.CreateEndpointAsync(Host.Client, Receiver.Url());
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    private OutdialHost Host => fixture.Host;

    private async Task<(string Id, JsonObject Call)> CallAsync(string to, Action<JsonObject> change)
    {
        var response = await Host.Client.PostCallAsync(Calls.Body(to, change));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        return (id, await Host.WaitForSettledAsync(id));
    }

    private async Task<JsonArray> TurnsAsync(string id) =>
        (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/transcript"))!["turns"]!.AsArray();

    private static JsonArray Replies(params JsonNode[] replies) => new(replies);

    [Fact]
    public async Task ScriptedAgent_AsksEachQuestion_TranscriptAndInsightsFollow_AndInsightsReadyIsDelivered()
    {
        var (id, call) = await CallAsync(Numbers.Next(), b =>
        {
            b["insightQuestions"] = new JsonArray("Is now a good time to talk?",
                new JsonObject { ["key"] = "follow_up", ["question"] = "Would you like a follow-up call next week?", ["type"] = "boolean" },
                new JsonObject { ["key"] = "seats", ["question"] = "How many seats do you need?", ["type"] = "number" });
            b["sandbox"] = new JsonObject { ["replies"] = Replies("Hi, yes, this is Ada.", "Sure, I have a few minutes.", "Yes, please.", "About 12.") };
        });
        Assert.Equal("answered", (string?)call["outcome"]);

        var turns = await TurnsAsync(id);
        Assert.Equal(
        [
            ("agent", "This is an automated call from Example Co., and I'm an AI voice assistant. Hello Ada, this is a quick call from our team."),
            ("callee", "Hi, yes, this is Ada."),
            ("agent", "Is now a good time to talk?"),
            ("callee", "Sure, I have a few minutes."),
            ("agent", "Thank you. Would you like a follow-up call next week?"),
            ("callee", "Yes, please."),
            ("agent", "Thank you. How many seats do you need?"),
            ("callee", "About 12."),
            ("agent", "Thank you, that's everything I needed."),
            ("agent", "You can reach Example Co. at 555-000-0100. Goodbye."),
        ], turns.Select(t => ((string)t!["speaker"]!, (string)t["text"]!)));
        Assert.Equal(Enumerable.Range(0, turns.Count), turns.Select(t => (int)t!["index"]!));
        Assert.Equal(["identity", "artificial_voice"], turns[0]!["disclosures"]!.AsArray().Select(d => (string)d!));
        Assert.Equal(["callback_number"], turns[^1]!["disclosures"]!.AsArray().Select(d => (string)d!));

        var attempt = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
        var conversation = attempt["conversation"]!;
        Assert.Equal("scripted", (string?)conversation["method"]);
        Assert.Equal("completed", (string?)conversation["endReason"]);
        Assert.Equal(10, (int)conversation["turns"]!);
        Assert.Equal(["identity", "artificial_voice", "callback_number"], conversation["disclosures"]!.AsArray().Select(d => (string)d!));

        var script = await Host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/calls/{id}/transcript") { Headers = { { "Accept", "text/plain" } } });
        Assert.Equal("text/plain", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("] Callee: About 12.\n", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var insights = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights"))!;
        Assert.Equal(("completed", "scripted"), ((string?)insights["status"], (string?)insights["method"]));
        var answers = insights["answers"]!.AsArray();
        Assert.Equal("Sure, I have a few minutes.", (string?)answers[0]!["answer"]);
        Assert.True((bool)answers[1]!["answer"]!);
        Assert.Equal(12, (decimal)answers[2]!["answer"]!);
        Assert.All(answers, a => Assert.Equal("answered", (string?)a!["status"]));
        Assert.Equal(5, (int)answers[1]!["evidence"]![0]!["turn"]!);

        await WebhookTests.WaitAsync(() => fixture.Receiver.Accepted.Any(r => r.CallId == id && r.Type == "call.insights_ready"), "call.insights_ready");
        var ready = fixture.Receiver.Accepted.First(r => r.CallId == id && r.Type == "call.insights_ready");
        Assert.True((bool)ready.Json["data"]!["insights"]!["answers"]![1]!["answer"]!);
        Assert.Equal("ended", (string?)ready.Json["data"]!["status"]);
        // The ended event's attempt already carries the conversation's summary.
        var ended = fixture.Receiver.Accepted.First(r => r.CallId == id && r.Type == "call.ended");
        Assert.Equal("completed", (string?)ended.Json["data"]!["attempt"]!["conversation"]!["endReason"]);
    }

    [Fact]
    public async Task InterruptingReply_TruncatesTheAgentsTurnToWhatWasHeard()
    {
        var (id, _) = await CallAsync(Numbers.Next(), b =>
        {
            b["insightQuestions"] = new JsonArray("Could you tell me which of our three service plans you are using at the moment?", "Anything else?");
            b["sandbox"] = new JsonObject
            {
                ["replies"] = Replies("Hello?", new JsonObject { ["text"] = "The basic one.", ["interrupt"] = true }, "No."),
            };
        });
        var turns = await TurnsAsync(id);
        var interrupted = Assert.Single(turns, t => (bool)t!["interrupted"]!)!;
        Assert.Equal("agent", (string?)interrupted["speaker"]);
        Assert.Equal("Could you tell me which of our three", (string?)interrupted["text"]);
        Assert.True((long)interrupted["endMs"]! >= (long)interrupted["startMs"]!);
        Assert.Equal("The basic one.", (string?)turns[interrupted.GetElementIndex() + 1]!["text"]);
    }

    [Fact]
    public async Task KeyPresses_AreCalleeTurnsWithTheirDigits()
    {
        var (id, _) = await CallAsync(Numbers.Next(), b =>
        {
            b["insightQuestions"] = new JsonArray("Press 1 to confirm.");
            b["sandbox"] = new JsonObject { ["replies"] = Replies("Hi.", new JsonObject { ["dtmf"] = "12" }) };
        });
        var turns = await TurnsAsync(id);
        var pressed = Assert.Single(turns, t => t!["dtmf"] is not null)!;
        Assert.Equal(("callee", "12", ""), ((string?)pressed["speaker"], (string?)pressed["dtmf"], (string?)pressed["text"]));
    }

    [Fact]
    public async Task OptOutPhrase_AddsAStickyDncEntry_EndsPolitely_AndLaterCallsAreRefused()
    {
        var to = Numbers.Next();
        var (id, _) = await CallAsync(to, b =>
        {
            b["insightQuestions"] = new JsonArray("Are you happy with your plan?");
            b["sandbox"] = new JsonObject { ["replies"] = Replies("Hello?", "Please take me off your list.") };
        });
        var turns = await TurnsAsync(id);
        Assert.StartsWith("Understood. I've removed your number", (string?)turns[^1]!["text"], StringComparison.Ordinal);
        var attempt = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
        Assert.Equal("opted_out", (string?)attempt["conversation"]!["endReason"]);
        Assert.True((bool)attempt["conversation"]!["optedOut"]!);

        var dnc = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/dnc/{Uri.EscapeDataString(to)}"))!;
        Assert.True((bool)dnc["optOut"]!);
        Assert.Equal("opt_out_in_call", (string?)dnc["reason"]);
        Assert.Equal("call:" + id, (string?)dnc["source"]);

        var again = await Host.Client.PostCallAsync(Calls.Body(to));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Equal("number_on_dnc", (string?)(await again.JsonAsync())["code"]);
    }

    [Fact]
    public async Task Voicemail_LeavesTheDisclosedMessage_AndQuestionsAreNotConnected()
    {
        var agent = await Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Voicemail " + Guid.NewGuid().ToString("N")[..8],
            ["firstMessage"] = "Hi {firstName}.",
            ["businessName"] = "Acme",
            ["voicemailMessage"] = "Sorry we missed you, {firstName}. Please call us back.",
            ["insightQuestions"] = new JsonArray("Interested?"),
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var agentId = (string)(await agent.JsonAsync())["id"]!;
        var (id, call) = await CallAsync(Numbers.Next("0006"), b => b["agentId"] = agentId);
        Assert.Equal("voicemail", (string?)call["outcome"]);
        var turn = Assert.Single(await TurnsAsync(id))!;
        Assert.Equal("This is an automated call from Acme, and I'm an AI voice assistant. Sorry we missed you, Ada. Please call us back. You can reach Acme at 555-000-0100.",
            (string?)turn["text"]);

        var insights = await WaitForInsightsAsync(id);
        Assert.Equal("not_connected", (string?)insights["method"]);
        Assert.Equal("not_connected", (string?)insights["answers"]![0]!["status"]);
    }

    [Fact]
    public async Task MessageModeAgent_SaysItsMessageAndHangsUp_WithoutAConversation()
    {
        var agent = await Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Reminder " + Guid.NewGuid().ToString("N")[..8],
            ["mode"] = "message",
            ["firstMessage"] = "Your appointment is tomorrow at nine.",
            ["businessName"] = "Clinic",
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var agentId = (string)(await agent.JsonAsync())["id"]!;
        var (id, call) = await CallAsync(Numbers.Next(), b => b["agentId"] = agentId);
        Assert.Equal("answered", (string?)call["outcome"]);
        var turn = Assert.Single(await TurnsAsync(id))!;
        Assert.Contains("Your appointment is tomorrow at nine.", (string?)turn["text"], StringComparison.Ordinal);
        var attempt = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!;
        Assert.Null(attempt["conversation"]);
    }

    [Fact]
    public async Task Rerun_WithOtherQuestions_KeepsTheHistory()
    {
        var (id, _) = await CallAsync(Numbers.Next(), b =>
        {
            b["insightQuestions"] = new JsonArray("What is your budget?");
            b["sandbox"] = new JsonObject { ["replies"] = Replies("Hi.", "About a thousand.") };
        });
        var first = await WaitForInsightsAsync(id);
        var rerun = await Host.Client.PostAsJsonAsync($"/v1/calls/{id}/insights/rerun", new JsonObject { ["questions"] = new JsonArray("Did they say hi?") });
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        var pending = await rerun.JsonAsync();
        Assert.Equal(("pending", "rerun"), ((string?)pending["status"], (string?)pending["trigger"]));
        Assert.Equal($"/v1/calls/{id}/insights/{pending["id"]}", rerun.Headers.Location!.ToString());
        var second = await WaitForInsightsAsync(id, (string)pending["id"]!);
        Assert.Equal("did_they_say_hi", (string?)second["answers"]![0]!["key"]);
        var history = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights/history"))!["data"]!.AsArray();
        Assert.Equal([(string)pending["id"]!, (string)first["id"]!], history.Select(h => (string)h!["id"]!));

        var bad = await Host.Client.PostAsJsonAsync($"/v1/calls/{id}/insights/rerun", new JsonObject { ["questions"] = new JsonArray(new JsonObject { ["question"] = "Which?", ["type"] = "choice" }) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var (other, otherClient) = await Host.NewTenantAsync();
        Assert.NotNull(other);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/v1/calls/{id}/insights")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/v1/calls/{id}/transcript")).StatusCode);
    }

    private async Task<JsonObject> WaitForInsightsAsync(string id, string? analysisId = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await Host.Client.GetAsync(analysisId is null ? $"/v1/calls/{id}/insights" : $"/v1/calls/{id}/insights/{analysisId}");
            if (response.IsSuccessStatusCode && await response.JsonAsync() is { } analysis && (string?)analysis["status"] == "completed")
            {
                return analysis;
            }
            Assert.True(DateTime.UtcNow < deadline, $"insights of {id} never completed");
            await Task.Delay(25);
        }
    }
}
