using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;
using Xunit;
using static Outdial.Server.Tests.TwilioCallbackTests;

namespace Outdial.Server.Tests;

/// <summary>
/// What Outdial answers when a Twilio call connects (the TwiML callback: a ConversationRelay session for a conversation
/// agent, a message drop for a message agent, the voicemail message for a machine, or a hang-up) and when asynchronous AMD
/// reports a machine (the AMD callback, which redirects the live call through Twilio's REST API — here a loopback stand-in
/// that records the UpdateCall requests). The spoken texts carry the agent's disclosures (identity and AI voice first, the
/// callback number last).
/// </summary>
public sealed class TwilioAnswerCallbackTests
{
    private const string Greeting = "This is an automated call from Acme Dental, and I'm an AI voice assistant.";
    private const string Closing = "You can reach Acme Dental at 415-555-0123.";

    /// <summary>An agent with a business name and callback number (so the disclosures are known text); <paramref name="extra"/> adds fields.</summary>
    private static async Task<string> NewAgentAsync(OutdialHost host, string voicemail, params (string Key, JsonNode? Value)[] extra)
    {
        var body = new JsonObject
        {
            ["name"] = "Twilio agent " + Guid.NewGuid().ToString("N")[..6],
            ["firstMessage"] = "Hello {firstName} & welcome to <Outdial> — grüß dich 📞",
            ["voice"] = "Polly.Joanna",
            ["language"] = "en-GB",
            ["voicemailMessage"] = voicemail,
            ["answeringMachineDetection"] = "detect_message_end",
            ["businessName"] = "Acme Dental",
            ["callbackNumber"] = "+14155550123",
        };
        foreach (var (key, value) in extra)
        {
            body[key] = value;
        }
        var response = await host.Client.PostAsJsonAsync("/v1/agents", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (string)(await response.JsonAsync())["id"]!;
    }

    private static async Task<string> TwimlAsync(OutdialHost host, string attemptId, params KeyValuePair<string, string>[] form)
    {
        using var response = await PostAsync(host, attemptId, "twiml", [new("CallSid", "CA66666666666666666666666666666666"), new("CallStatus", "in-progress"), .. form]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonArray> TurnsAsync(OutdialHost host, string callId) =>
        (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/transcript"))!["turns"]!.AsArray();

    [Theory]
    [InlineData(true, "any")]
    [InlineData(false, "none")]
    public async Task Twiml_ConversationAgent_ConnectsTheAttemptsConversationRelay(bool interruptible, string expectedInterruptible)
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var agentId = await NewAgentAsync(host, "Sorry we missed you.", ("interruptible", interruptible), ("voice", "en-GB-Journey-D"));
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);

        var twiml = await TwimlAsync(host, attemptId, new KeyValuePair<string, string>("AnsweredBy", "human"));

        var welcome = $"{Greeting} Hello Ada & welcome to <Outdial> — grüß dich 📞";
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("connectConversationRelay",
            Attributes:
            [
                new("url", $"wss://outdial.example.test/providers/twilio/relay/{attemptId}"),
                new("welcomeGreeting", welcome),
                new("language", "en-GB"),
                new("voice", "en-GB-Journey-D"),
                new("dtmfDetection", "true"),
                new("interruptible", expectedInterruptible),
            ],
            Connect: [new("action", $"{PublicBase}/providers/twilio/calls/{attemptId}/relay-ended")])]]);
        TwimlAssert.SameDocument(expected[0], twiml);
        // The engine records the greeting once the relay connects; answering the TwiML writes nothing, and reports nothing.
        Assert.Empty(await TurnsAsync(host, callId));
        Assert.Equal("dialing", (string?)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!["status"]);
    }

    [Fact]
    public async Task Twiml_HttpPublicBaseUrl_ConnectsTheRelayOverWs()
    {
        await using var host = await OutdialHost.StartAsync(Settings(("Outdial:PublicBaseUrl", "http://tunnel.example.test:8080/outdial/")));
        var agentId = await NewAgentAsync(host, "");
        var (_, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);
        using var response = await PostAsync(host, attemptId, "twiml", [new("CallSid", "CA1")],
            signedUrl: $"http://tunnel.example.test:8080/outdial/providers/twilio/calls/{attemptId}/twiml");

        var connect = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Connect")!;

        Assert.Equal($"http://tunnel.example.test:8080/outdial/providers/twilio/calls/{attemptId}/relay-ended", (string?)connect.Attribute("action"));
        Assert.Equal($"ws://tunnel.example.test:8080/outdial/providers/twilio/relay/{attemptId}", (string?)connect.Element("ConversationRelay")!.Attribute("url"));
    }

    [Fact]
    public async Task Twiml_MessageModeAgent_SaysTheGreetingWithItsDisclosures_ThenHangsUp_AndRecordsItOnce()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var agentId = await NewAgentAsync(host, "Sorry we missed you, {firstName}.", ("mode", "message"));
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);

        var twiml = await TwimlAsync(host, attemptId);
        var again = await TwimlAsync(host, attemptId);

        var text = $"{Greeting} Hello Ada & welcome to <Outdial> — grüß dich 📞 {Closing}";
        Assert.Equal(Twiml.Say(text, "Polly.Joanna", "en-GB"), twiml);
        Assert.Equal(twiml, again);
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("say", text, [new("voice", "Polly.Joanna"), new("language", "en-GB")]), new TwimlInstruction("hangup")]]);
        TwimlAssert.SameDocument(expected[0], twiml);
        // What the callee heard is the agent's one turn, however often Twilio asked.
        var turn = Assert.Single(await TurnsAsync(host, callId));
        Assert.Equal("agent", (string?)turn!["speaker"]);
        Assert.Equal(text, (string?)turn["text"]);
        Assert.Equal("dialing", (string?)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!["status"]);
    }

    [Theory]
    [InlineData("machine_end_beep")]
    [InlineData("machine_start")]
    public async Task Twiml_WhenSyncAmdSaysMachine_SaysTheRenderedVoicemailMessageWithDisclosures(string answeredBy)
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var agentId = await NewAgentAsync(host, "Sorry we missed you, {firstName}. Call us back & soon.");
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);

        var twiml = await TwimlAsync(host, attemptId, new KeyValuePair<string, string>("AnsweredBy", answeredBy));

        var text = $"{Greeting} Sorry we missed you, Ada. Call us back & soon. {Closing}";
        Assert.Equal(Twiml.Say(text, "Polly.Joanna", "en-GB"), twiml);
        Assert.Equal(text, (string?)Assert.Single(await TurnsAsync(host, callId))!["text"]);
    }

    [Fact]
    public async Task Twiml_MachineWithoutVoicemailMessage_OrFax_OrUnknownAttempt_JustHangsUp()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var silent = await NewAgentAsync(host, "");
        var (silentCall, silentAttempt) = await NewTwilioAttemptAsync(host, b => b["agentId"] = silent);
        var talking = await NewAgentAsync(host, "Please call back.");
        var (talkingCall, talkingAttempt) = await NewTwilioAttemptAsync(host, b => b["agentId"] = talking);

        Assert.Equal(Twiml.HangUp(), await TwimlAsync(host, silentAttempt, new KeyValuePair<string, string>("AnsweredBy", "machine_end_silence")));
        Assert.Equal(Twiml.HangUp(), await TwimlAsync(host, talkingAttempt, new KeyValuePair<string, string>("AnsweredBy", "fax")));
        Assert.Equal(Twiml.HangUp(), await TwimlAsync(host, "att_does_not_exist"));
        TwimlAssert.SameDocument((await TwilioNode.TwimlAsync([[new TwimlInstruction("hangup")]]))[0], Twiml.HangUp());
        // Nothing was said.
        Assert.Empty(await TurnsAsync(host, silentCall));
        Assert.Empty(await TurnsAsync(host, talkingCall));
    }

    [Fact]
    public async Task AsyncAmdMachine_RefinesWhoAnswered_PlaysTheVoicemail_AndTheCallEndsAsVoicemail()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var host = await OutdialHost.StartAsync(Settings(
            ("Outdial:Twilio:AccountSid", FakeTwilio.AccountSid),
            ("Outdial:Twilio:BaseUrl", twilio.BaseUrl)));
        var agentId = await NewAgentAsync(host, "Sorry we missed you, {firstName}.");
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);
        const string sid = "CA77777777777777777777777777777777";
        await AssertNoContentAsync(PostAsync(host, attemptId, "status", Status(sid, "ringing", 1)));
        // With async AMD Twilio reports the answer before the verdict is known.
        await AssertNoContentAsync(PostAsync(host, attemptId, "status", Status(sid, "in-progress", 2)));

        await AssertNoContentAsync(PostAsync(host, attemptId, "amd",
            [new("CallSid", sid), new("AnsweredBy", "machine_end_beep"), new("MachineDetectionDuration", "4200")]));

        var update = Assert.Single(twilio.Requests);
        Assert.Equal($"/2010-04-01/Accounts/{FakeTwilio.AccountSid}/Calls/{sid}.json", update.Path);
        Assert.Equal(Twiml.Say($"{Greeting} Sorry we missed you, Ada. {Closing}", "Polly.Joanna", "en-GB"), update.Form["Twiml"]);
        var attempts = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
        Assert.Equal("machine", (string?)attempts[0]!["answeredBy"]);

        // The final status callback does not repeat the verdict; the outcome still comes out as voicemail.
        await AssertNoContentAsync(PostAsync(host, attemptId, "status", Status(sid, "completed", 4, ("CallDuration", "21"))));
        var call = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal("ended", (string?)call["status"]);
        Assert.Equal("voicemail", (string?)call["outcome"]);
        Assert.Equal("machine", (string?)call["outcomeDetail"]!["answeredBy"]);
    }

    [Fact]
    public async Task AsyncAmdHuman_ChangesNothingAtTwilio_AndMachineWithoutMessage_HangsUp()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var host = await OutdialHost.StartAsync(Settings(
            ("Outdial:Twilio:AccountSid", FakeTwilio.AccountSid),
            ("Outdial:Twilio:BaseUrl", twilio.BaseUrl)));
        var silent = await NewAgentAsync(host, "");
        var (humanCall, humanAttempt) = await NewTwilioAttemptAsync(host, b => b["agentId"] = silent);
        var (_, machineAttempt) = await NewTwilioAttemptAsync(host, b => b["agentId"] = silent);
        await AssertNoContentAsync(PostAsync(host, humanAttempt, "status", Status("CA88888888888888888888888888888881", "in-progress", 2)));
        await AssertNoContentAsync(PostAsync(host, machineAttempt, "status", Status("CA88888888888888888888888888888882", "in-progress", 2)));

        await AssertNoContentAsync(PostAsync(host, humanAttempt, "amd", [new("CallSid", "CA88888888888888888888888888888881"), new("AnsweredBy", "human")]));
        Assert.Empty(twilio.Requests);
        var attempts = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{humanCall}/attempts"))!["data"]!.AsArray();
        Assert.Equal("human", (string?)attempts[0]!["answeredBy"]);

        await AssertNoContentAsync(PostAsync(host, machineAttempt, "amd", [new("CallSid", "CA88888888888888888888888888888882"), new("AnsweredBy", "machine_start")]));
        var hangUp = Assert.Single(twilio.Requests);
        Assert.Equal("completed", hangUp.Form["Status"]);
        Assert.False(hangUp.Form.ContainsKey("Twiml"));
    }

    /// <summary>
    /// Regression guard for a Core bug (reported to the lead, <c>src/Outdial.Core/Conversation/</c> is theirs): with async AMD a
    /// conversation agent's relay session is already live when the machine verdict comes; <c>CallAnswering.PlanAsync</c> writes
    /// the voicemail turn at index <c>ListTurnsAsync().Count</c> while the session still holds an agent turn it numbered but has
    /// not written yet (written when the utterance finishes: here when the relay closes), and <c>SaveTurnAsync</c> replaces a
    /// turn with the same index — the voicemail message, disclosures included, is overwritten by the session's partial reply.
    /// </summary>
    [Fact]
    public async Task AsyncAmdMachine_DuringALiveRelaySession_KeepsTheVoicemailTurnInTheTranscript()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var model = await FakeOpenAi.StartAsync();
        await using var host = await OutdialHost.StartAsync(Settings(
            ("Outdial:Twilio:AccountSid", FakeTwilio.AccountSid),
            ("Outdial:Twilio:BaseUrl", twilio.BaseUrl),
            ("Outdial:Llm:Endpoint", model.Endpoint),
            ("Outdial:Llm:ApiKey", "sk-test")));
        var agentId = await NewAgentAsync(host, "Sorry we missed you, {firstName}.");
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);
        const string sid = "CA79797979797979797979797979797979";
        await AssertNoContentAsync(PostAsync(host, attemptId, "status", Status(sid, "in-progress", 2)));
        Assert.NotNull(XDocument.Parse(await TwimlAsync(host, attemptId)).Root!.Element("Connect"));
        await using var relay = await RelayClient.ConnectAsync(host, PublicBase, attemptId, Token);
        await relay.SendSetupAsync(sid, "+15005550006", "+15551230000");
        var release = new TaskCompletionSource();
        model.Enqueue(FakeReply.TextWithPause("Hello, how can I help you today?", 1, release.Task));
        await relay.SendPromptAsync("Hi, you have reached Ada. Please leave a message after the tone.");
        await relay.ExpectAsync("text"); // the agent is mid-reply: its turn is numbered, not yet written
        while ((await TurnsAsync(host, callId)).Count < 2)
        {
            await Task.Delay(25);
        }

        await AssertNoContentAsync(PostAsync(host, attemptId, "amd", [new("CallSid", sid), new("AnsweredBy", "machine_end_beep")]));
        await relay.CloseAsync(); // the new TwiML ended the relay session
        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/transcript"))!["conversations"]![0]!["conversation"]!["endedAt"] is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the relay session never ended");
            await Task.Delay(25);
        }

        var voicemail = $"{Greeting} Sorry we missed you, Ada. {Closing}";
        Assert.Equal(Twiml.Say(voicemail, "Polly.Joanna", "en-GB"), Assert.Single(twilio.Requests).Form["Twiml"]);
        var texts = (await TurnsAsync(host, callId)).Select(t => (string?)t!["text"]).ToList();
        Assert.Contains(voicemail, texts);
        Assert.Equal(4, texts.Count);
    }

    [Fact]
    public async Task AsyncAmdMachine_WhenTheCallEndedMeanwhile_IsStill204_AndKeepsTheVerdict()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        twilio.Status = 404;
        await using var host = await OutdialHost.StartAsync(Settings(
            ("Outdial:Twilio:AccountSid", FakeTwilio.AccountSid),
            ("Outdial:Twilio:BaseUrl", twilio.BaseUrl)));
        var agentId = await NewAgentAsync(host, "Sorry we missed you, {firstName}.");
        var (callId, attemptId) = await NewTwilioAttemptAsync(host, b => b["agentId"] = agentId);
        const string sid = "CA99999999999999999999999999999999";
        await AssertNoContentAsync(PostAsync(host, attemptId, "status", Status(sid, "in-progress", 2)));

        await AssertNoContentAsync(PostAsync(host, attemptId, "amd", [new("CallSid", sid), new("AnsweredBy", "machine_end_other")]));

        Assert.Single(twilio.Requests);
        var attempts = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/attempts"))!["data"]!.AsArray();
        Assert.Equal("machine", (string?)attempts[0]!["answeredBy"]);
    }

    private static async Task AssertNoContentAsync(Task<HttpResponseMessage> sent)
    {
        using var response = await sent;
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>One request the stand-in received: path and form fields (last value per name).</summary>
    private sealed record TwilioRequest(string Path, IReadOnlyDictionary<string, string> Form);

    /// <summary>A loopback stand-in for Twilio's UpdateCall (POST .../Calls/{Sid}.json): records the form, answers the call resource.</summary>
    private sealed class FakeTwilio : IAsyncDisposable
    {
        public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
        private readonly WebApplication _app;

        private FakeTwilio(WebApplication app)
        {
            _app = app;
            BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }

        public string BaseUrl { get; }

        public ConcurrentQueue<TwilioRequest> Requests { get; } = new();

        /// <summary>HTTP status of the answers; anything but 200 answers Twilio's error JSON (code 20404 for 404).</summary>
        public int Status { get; set; } = 200;

        public static async Task<FakeTwilio> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            FakeTwilio? fake = null;
            app.Run(async context =>
            {
                var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : FormCollection.Empty;
                fake!.Requests.Enqueue(new TwilioRequest(context.Request.Path.Value ?? "", form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)));
                var sid = Path.GetFileNameWithoutExtension(context.Request.Path.Value ?? "");
                if (fake.Status != 200)
                {
                    context.Response.StatusCode = fake.Status;
                    await context.Response.WriteAsJsonAsync(new JsonObject
                    {
                        ["code"] = fake.Status == 404 ? 20404 : 21220,
                        ["message"] = "The requested resource was not found",
                        ["status"] = fake.Status,
                    });
                    return;
                }
                await context.Response.WriteAsJsonAsync(new JsonObject { ["sid"] = sid, ["account_sid"] = AccountSid, ["status"] = "in-progress" });
            });
            await app.StartAsync();
            fake = new FakeTwilio(app);
            return fake;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
