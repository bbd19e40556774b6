using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Tests.Shared;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Conversations and insights with a model: Outdial's official OpenAI SDK talks to a fake OpenAI-compatible server over real
/// HTTP with SSE streaming, tool calls and JSON-schema answers; the sandbox plays the callee. Each test sets the fake's answers.
/// </summary>
public sealed class ModelConversationTests(ModelConversationTests.Fixture fixture) : IClassFixture<ModelConversationTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public FakeOpenAi Model { get; private set; } = null!;

        public OutdialHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Model = await FakeOpenAi.StartAsync();
            Host = await OutdialHost.StartAsync(Settings(Model));
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Model.DisposeAsync();
        }
    }

    /// <summary>A server whose model is <paramref name="model"/>, with a short turn timeout and quick insights.</summary>
    internal static Dictionary<string, string> Settings(FakeOpenAi model) => new()
    {
        ["Outdial:Llm:Endpoint"] = model.Endpoint,
        ["Outdial:Llm:ApiKey"] = "sk-outdial-test",
        ["Outdial:Llm:Model"] = "fake-small",
        ["Outdial:Llm:TurnTimeout"] = "00:00:00.400",
        ["Outdial:Llm:AnalysisTimeout"] = "00:00:05",
        ["Outdial:Insights:SettleDelay"] = "00:00:00.100",
        ["Outdial:Insights:PollInterval"] = "00:00:00.050",
        ["Outdial:Insights:RetryDelaysSec:0"] = "1",
    };

    private OutdialHost Host => fixture.Host;

    private FakeOpenAi Model => fixture.Model;

    /// <summary>The fake's answers: <paramref name="talk"/> for the agent's turns (by how many callee messages it has seen), <paramref name="analyse"/> for analyses.</summary>
    private void Answer(Func<int, FakeRequest, FakeReply> talk, Func<FakeRequest, FakeReply>? analyse = null) =>
        Model.Responder = r => r.ResponseFormat is not null
            ? analyse?.Invoke(r) ?? FakeReply.Json("""{"answers":{},"summary":"A short call.","success":null}""")
            : talk(r.Messages.Count(m => (string?)m!["role"] == "user"), r);

    private async Task<string> CallAsync(string to, Action<JsonObject>? change = null)
    {
        var response = await Host.Client.PostCallAsync(Calls.Body(to, b =>
        {
            b["variables"] = new JsonObject { ["product"] = "solar panels" };
            change?.Invoke(b);
        }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        await Host.WaitForSettledAsync(id);
        return id;
    }

    private async Task<JsonArray> TurnsAsync(string id) =>
        (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/transcript"))!["turns"]!.AsArray();

    private async Task<JsonNode> ConversationAsync(string id) =>
        (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/attempts"))!["data"]![0]!["conversation"]!;

    [Fact]
    public async Task ModelTalks_RepliesAreStreamedAndRecorded_ToolsAndPromptAreSent_TokensCounted()
    {
        var before = Model.Requests.Count;
        Answer((heard, _) => heard switch
        {
            1 => FakeReply.Text("Great to hear, Ada. What is your monthly budget?", 40, 12),
            _ => FakeReply.ToolCalls("Thanks for your time, goodbye!", ("end_call", """{"reason":"completed"}""")) with { PromptTokens = 50, CompletionTokens = 8 },
        });
        var id = await CallAsync(Numbers.Next(), b => b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hi, this is Ada.", "Around two hundred dollars.") });

        var turns = await TurnsAsync(id);
        Assert.Equal(
        [
            "Hi, this is Ada.", "Great to hear, Ada. What is your monthly budget?", "Around two hundred dollars.", "Thanks for your time, goodbye!",
            "You can reach Example Co. at 555-000-0100. Goodbye.",
        ], turns.Skip(1).Select(t => (string)t!["text"]!));
        var conversation = await ConversationAsync(id);
        Assert.Equal(("llm", "fake-small", "completed"), ((string?)conversation["method"], (string?)conversation["model"], (string?)conversation["endReason"]));
        Assert.Equal(90, (long)conversation["promptTokens"]!);
        Assert.Equal(20, (long)conversation["completionTokens"]!);

        var first = Model.Requests.Skip(before).First(r => r.ResponseFormat is null);
        Assert.True(first.Stream);
        Assert.Equal("fake-small", first.Model);
        Assert.Equal("Bearer sk-outdial-test", first.Authorization);
        var system = (string)first.Messages[0]!["content"]!;
        Assert.Contains("calling Ada on behalf of Example Co.", system, StringComparison.Ordinal);
        Assert.Contains("you greeted the callee with \"This is an automated call from Example Co.", system, StringComparison.Ordinal);
        Assert.Equal(["end_call", "opt_out", "send_dtmf", "schedule_callback"], first.Tools!.Select(t => (string)t!["function"]!["name"]!));
    }

    [Fact]
    public async Task OptOutTool_AddsAStickyDncEntry_AndEndsPolitely()
    {
        Answer((_, _) => FakeReply.ToolCalls(null, ("opt_out", "{}")));
        var to = Numbers.Next();
        var id = await CallAsync(to, b => b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Who is this? I never want these calls.") });
        Assert.Equal("opted_out", (string?)(await ConversationAsync(id))["endReason"]);
        var dnc = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/dnc/{Uri.EscapeDataString(to)}"))!;
        Assert.Equal((true, "opt_out_in_call", "call:" + id), ((bool)dnc["optOut"]!, (string?)dnc["reason"], (string?)dnc["source"]));
        var again = await Host.Client.PostCallAsync(Calls.Body(to));
        Assert.Equal("number_on_dnc", (string?)(await again.JsonAsync())["code"]);
    }

    [Fact]
    public async Task CallbackRequest_CreatesANewCallThroughEligibility_RecordedOnBothCalls()
    {
        var at = DateTimeOffset.UtcNow.AddDays(2);
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById("America/New_York")).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Answer((heard, r) => (string?)r.Messages[^1]!["role"] == "tool"
            ? FakeReply.ToolCalls("Done, I'll call you then. Goodbye!", ("end_call", """{"reason":"callback"}"""))
            : FakeReply.ToolCalls(null, ("schedule_callback", $$"""{"at":"{{local}}","timeZone":"America/New_York"}""")));
        var id = await CallAsync(Numbers.Next(), b => b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("I'm busy, call me back the day after tomorrow.") });

        var callback = Assert.Single((await ConversationAsync(id))["callbacks"]!.AsArray())!;
        Assert.Equal("scheduled", (string?)callback["action"]);
        var created = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callback["callId"]}"))!;
        Assert.Equal(id, (string?)created["callbackOf"]);
        Assert.Equal("scheduled", (string?)created["status"]);
        Assert.Equal("not_before", (string?)created["decision"]!["reason"]);
        Assert.InRange((DateTime)created["scheduledFor"]!, at.UtcDateTime.AddMinutes(-1), at.UtcDateTime.AddMinutes(1));
        // The model was told the outcome and spoke about it.
        Assert.Contains(await TurnsAsync(id), t => (string?)t!["text"] == "Done, I'll call you then. Goodbye!");
        Assert.Equal(HttpStatusCode.OK, (await Host.Client.PostAsync($"/v1/calls/{callback["callId"]}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task ModelTimeout_FallbackLineOnce_ThenPoliteEnd_FailuresRecorded()
    {
        Answer((_, _) => FakeReply.Hang());
        var id = await CallAsync(Numbers.Next(), b => b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hello?", "Hello, are you there?") });
        var agentLines = (await TurnsAsync(id)).Where(t => (string?)t!["speaker"] == "agent").Select(t => (string)t!["text"]!).ToList();
        Assert.Equal("Sorry, give me just a moment. Could you say that again?", agentLines[1]);
        Assert.StartsWith("You can reach Example Co. at 555-000-0100. I'm sorry, I'm having technical difficulties", agentLines[2], StringComparison.Ordinal);
        var conversation = await ConversationAsync(id);
        Assert.Equal("model_failure", (string?)conversation["endReason"]);
        Assert.Equal(["model_timeout", "model_timeout"], conversation["failures"]!.AsArray().Select(f => (string)f!["kind"]!));
    }

    [Fact]
    public async Task Analysis_StructuredAnswers_QuoteNotInTheTranscriptIsDropped_AndItsAnswerDowngraded()
    {
        var analyses = 0;
        Answer((heard, _) => heard == 1
                ? FakeReply.Text("How many panels would you need, and do you own the house?")
                : FakeReply.ToolCalls("Thank you, goodbye.", ("end_call", """{"reason":"completed"}""")),
            r =>
            {
                if (Interlocked.Increment(ref analyses) == 1)
                {
                    return FakeReply.Json("""{"answers":{},"summary":"missing answers","success":true}"""); // invalid: the repair request follows
                }
                var callee = FindTurn(r, "We need twelve");
                return FakeReply.Json($$$"""
                    {"answers":{
                      "panels":{"status":"answered","answer":12,"confidence":0.9,"evidence":[{"turn":{{{callee}}},"quote":"We need twelve"}]},
                      "owner":{"status":"answered","answer":true,"confidence":0.8,"evidence":[{"turn":{{{callee}}},"quote":"I own the house outright"}]}},
                     "summary":"Ada needs twelve panels.","success":true}
                    """) with { PromptTokens = 300, CompletionTokens = 60 };
            });
        var id = await CallAsync(Numbers.Next(), b =>
        {
            b["insightQuestions"] = new JsonArray(
                new JsonObject { ["key"] = "panels", ["question"] = "How many panels?", ["type"] = "number" },
                new JsonObject { ["key"] = "owner", ["question"] = "Does the callee own the house?", ["type"] = "boolean" });
            b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hello.", "We need twelve, and yes it's ours.") };
        });
        var insights = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}/insights"))!;
        Assert.Equal(("completed", "llm", "fake-small"), ((string?)insights["status"], (string?)insights["method"], (string?)insights["model"]));
        var answers = insights["answers"]!.AsArray();
        Assert.Equal(12, (int)answers[0]!["answer"]!);
        Assert.Equal("We need twelve", (string?)answers[0]!["evidence"]![0]!["quote"]);
        Assert.Equal(0.9, (double)answers[0]!["confidence"]!);
        Assert.Empty(answers[1]!["evidence"]!.AsArray());
        Assert.Equal(0.3, (double)answers[1]!["confidence"]!);
        Assert.Equal("evidence_unverified", (string?)answers[1]!["note"]);
        Assert.Equal("Ada needs twelve panels.", (string?)insights["summary"]);
        Assert.Null(insights["success"]); // the agent has no success criteria
        Assert.Equal(2, analyses);
        Assert.True((long)insights["usage"]!["promptTokens"]! >= 310);
        var repair = Model.Requests.Last(r => r.ResponseFormat is not null);
        Assert.Contains("does not match the schema", (string?)repair.Messages[^1]!["content"], StringComparison.Ordinal);
        Assert.Equal("json_schema", (string?)repair.ResponseFormat!["type"]);
    }

    [Fact]
    public async Task Persona_AnswersThroughTheModel_WhenScriptedRepliesRunOut()
    {
        Answer((heard, r) => ((string?)r.Messages[0]!["content"])!.Contains("role-playing", StringComparison.Ordinal)
            ? FakeReply.Text("I'm the persona and I want the pro plan.")
            : heard >= 2
                ? FakeReply.ToolCalls("Noted, goodbye.", ("end_call", """{"reason":"completed"}"""))
                : FakeReply.Text("Which plan would you like?"));
        var id = await CallAsync(Numbers.Next(), b => b["sandbox"] = new JsonObject { ["replies"] = new JsonArray("Hello."), ["persona"] = "A busy homeowner." });
        Assert.Contains(await TurnsAsync(id), t => (string?)t!["speaker"] == "callee" && (string?)t["text"] == "I'm the persona and I want the pro plan.");
    }

    /// <summary>The index of the transcript turn (as numbered in the analysis prompt) whose text starts with <paramref name="start"/>.</summary>
    private static int FindTurn(FakeRequest analysis, string start)
    {
        var prompt = (string)analysis.Messages[1]!["content"]!;
        var line = prompt.Split('\n').First(l => l.Contains("Callee: " + start, StringComparison.Ordinal));
        return int.Parse(line[1..line.IndexOf(']', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
    }
}
