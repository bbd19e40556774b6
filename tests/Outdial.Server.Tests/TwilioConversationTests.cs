using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Outdial.Core.Conversation;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;
using Xunit;
using static Outdial.Server.Tests.TwilioEndToEndTests;

namespace Outdial.Server.Tests;

/// <summary>
/// Whole conversations through Twilio, end to end over real HTTP and WebSocket: Outdial dials "Twilio" (the Prism mock of
/// Twilio's official spec behind <see cref="TwilioFront"/>), answers the signed TwiML request with a ConversationRelay
/// session, and holds the conversation on the relay WebSocket (<see cref="RelayClient"/> plays Twilio) with the model served
/// by <see cref="FakeOpenAi"/> through the official OpenAI SDK (<c>Outdial:Llm:Endpoint</c>). The agents' greetings are short
/// and without disclosures, since the engine waits for the estimated end of the agent's speech before it ends a session.
/// </summary>
[Collection(TwilioMock.Collection)]
public sealed class TwilioConversationTests(TwilioMock mock)
{
    private const string TransferNumber = "+15551230199";

    private sealed record Rig(OutdialHost Host, TwilioFront Front, FakeOpenAi Model, string AgentId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Front.DisposeAsync();
            await Model.DisposeAsync();
        }
    }

    private async Task<Rig> StartAsync()
    {
        var model = await FakeOpenAi.StartAsync();
        var front = await TwilioFront.StartAsync(mock.Url);
        var settings = Settings(front);
        settings["Outdial:Llm:Endpoint"] = model.Endpoint;
        settings["Outdial:Llm:ApiKey"] = "sk-test";
        settings["Outdial:Llm:Model"] = "gpt-test";
        var host = await OutdialHost.StartAsync(settings);
        var number = await host.Client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = TwilioNumber, ["provider"] = "twilio", ["callsPerSecond"] = 50 });
        Assert.Equal(HttpStatusCode.Created, number.StatusCode);
        var agent = await host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Twilio talker " + Guid.NewGuid().ToString("N")[..6],
            ["prompt"] = "You confirm the dental appointment of {name}.",
            ["firstMessage"] = "Hi {name}.",
            ["voice"] = "en-US-Journey-O",
            ["language"] = "en-US",
            ["transferNumber"] = TransferNumber,
            ["disclosures"] = new JsonObject { ["enabled"] = false },
            ["phoneNumberId"] = (string)(await number.JsonAsync())["id"]!,
        });
        Assert.True(agent.StatusCode == HttpStatusCode.Created, await agent.Content.ReadAsStringAsync());
        return new Rig(host, front, model, (string)(await agent.JsonAsync())["id"]!);
    }

    /// <summary>Places a call with the rig's agent, lets Twilio answer it and fetch its TwiML; answers the ids, the SID, the callee and the relay URL.</summary>
    private static async Task<(string CallId, string AttemptId, string Sid, string To, string RelayUrl)> AnsweredCallAsync(Rig rig)
    {
        var to = Numbers.Next("0000");
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to,
            ["agentId"] = rig.AgentId,
            ["variables"] = new JsonObject { ["name"] = "Ada" },
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var callId = (string)(await created.JsonAsync())["id"]!;
        var (attemptId, sid) = await WaitForDialAsync(rig.Host, callId, front: rig.Front);
        var status = $"{TwilioUrls.Prefix}/{attemptId}/status";
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(rig.Host, status, Callback(sid, "ringing", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PostSignedAsync(rig.Host, status, Callback(sid, "in-progress", 2))).StatusCode);
        using var twiml = await PostSignedAsync(rig.Host, $"{TwilioUrls.Prefix}/{attemptId}/twiml", Callback(sid, "in-progress", 2));
        Assert.Equal(HttpStatusCode.OK, twiml.StatusCode);
        var connect = XDocument.Parse(await twiml.Content.ReadAsStringAsync()).Root!.Element("Connect")!;
        Assert.Equal(TwilioUrls.RelayEnded(PublicBase, attemptId), (string?)connect.Attribute("action"));
        var relay = connect.Element("ConversationRelay")!;
        Assert.Equal("Hi Ada.", (string?)relay.Attribute("welcomeGreeting"));
        Assert.Equal("en-US-Journey-O", (string?)relay.Attribute("voice"));
        return (callId, attemptId, sid, to, (string)relay.Attribute("url")!);
    }

    /// <summary>The call's transcript once the attempt's conversation has ended (polled: the session stores it after the relay closed).</summary>
    private static async Task<JsonObject> EndedTranscriptAsync(OutdialHost host, string callId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject? transcript = null;
        while (DateTime.UtcNow < deadline)
        {
            transcript = await host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/transcript");
            if (transcript?["conversations"]?.AsArray().FirstOrDefault()?["conversation"]?["endedAt"] is not null)
            {
                return transcript;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"the conversation of call {callId} never ended: {transcript?.ToJsonString()}");
    }

    [Fact]
    public async Task Conversation_ThroughTwilio_StreamsTheModelsReplyTokenByToken_AndStoresTheTranscript()
    {
        await using var rig = await StartAsync();
        var (callId, attemptId, sid, to, relayUrl) = await AnsweredCallAsync(rig);
        Assert.Equal($"wss://outdial.example.test/providers/twilio/relay/{attemptId}", relayUrl);

        await using var relay = await RelayClient.ConnectAsync(rig.Host, PublicBase, attemptId, TwilioMock.AuthToken);
        await relay.SendSetupAsync(sid, TwilioNumber, to);
        rig.Model.Enqueue(FakeReply.Text("Sure, Tuesday at ten works for us."));
        await relay.SendPromptAsync("Can we do Tuesday at ten?");
        var tokens = await relay.ReadReplyAsync();
        rig.Model.Enqueue(FakeReply.Text("Thanks, you pressed one."));
        await relay.SendDtmfAsync("1");
        var afterKey = await relay.ReadReplyAsync();
        await relay.CloseAsync(); // the callee hangs up

        // Streamed: one frame per model chunk (the fake sends a word per chunk), then an empty last one.
        Assert.Equal(["Sure, ", "Tuesday ", "at ", "ten ", "works ", "for ", "us.", ""], tokens);
        Assert.Equal("Thanks, you pressed one.", string.Concat(afterKey));
        var asked = rig.Model.Requests[0];
        Assert.Equal("gpt-test", (string?)asked.Raw["model"]);
        Assert.Equal("Can we do Tuesday at ten?", asked.LastUserText);
        var system = asked.Messages[0]!["content"] switch
        {
            JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
            var content => (string?)content,
        };
        Assert.Equal("system", (string?)asked.Messages[0]!["role"]);
        Assert.Contains("You confirm the dental appointment of Ada.", system, StringComparison.Ordinal);

        var transcript = await EndedTranscriptAsync(rig.Host, callId);
        var turns = transcript["turns"]!.AsArray().Select(t => ((string?)t!["speaker"], (string?)t["text"], (string?)t["dtmf"])).ToList();
        Assert.Equal(
        [
            ("agent", "Hi Ada.", null),
            ("callee", "Can we do Tuesday at ten?", null),
            ("agent", "Sure, Tuesday at ten works for us.", null),
            ("callee", "", "1"),
            ("agent", "Thanks, you pressed one.", null),
        ], turns);
        var conversation = transcript["conversations"]![0]!;
        Assert.Equal(attemptId, (string?)conversation["attemptId"]);
        Assert.Equal("llm", (string?)conversation["conversation"]!["method"]);
        Assert.Equal("callee_hung_up", (string?)conversation["conversation"]!["endReason"]);

        await DriveAsync(rig.Host, attemptId, sid, "completed", ("CallDuration", "31"));
        var ended = await rig.Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.All(rig.Front.Requests, r => Assert.True(r.MockStatus is >= 200 and < 300, $"{r.Method} {r.Path} -> {r.MockStatus}"));
    }

    [Fact]
    public async Task Conversation_CalleeInterrupts_TheAgentsTurnKeepsOnlyWhatWasHeard()
    {
        await using var rig = await StartAsync();
        var (callId, attemptId, sid, to, _) = await AnsweredCallAsync(rig);
        await using var relay = await RelayClient.ConnectAsync(rig.Host, PublicBase, attemptId, TwilioMock.AuthToken);
        await relay.SendSetupAsync(sid, TwilioNumber, to);
        var release = new TaskCompletionSource();
        rig.Model.Enqueue(FakeReply.TextWithPause("Your appointment is on Tuesday at ten in the morning.", 2, release.Task));

        await relay.SendPromptAsync("When is it?");
        Assert.Equal("Your ", (string?)(await relay.ExpectAsync("text"))["token"]);
        Assert.Equal("appointment ", (string?)(await relay.ExpectAsync("text"))["token"]);
        await relay.SendInterruptAsync("Your appointment", 900);
        // The cancelled turn is closed with an empty last token; the rest of the reply is never sent.
        var closing = await relay.ExpectAsync("text");
        Assert.Equal("", (string?)closing["token"]);
        Assert.True((bool?)closing["last"]);
        release.SetResult();
        await relay.CloseAsync();

        var turns = (await EndedTranscriptAsync(rig.Host, callId))["turns"]!.AsArray();
        var interrupted = turns[2]!;
        Assert.Equal("agent", (string?)interrupted["speaker"]);
        Assert.Equal("Your appointment", (string?)interrupted["text"]);
        Assert.True((bool?)interrupted["interrupted"]);
    }

    [Fact]
    public async Task Conversation_ModelTransfers_EndCarriesTheHandoff_AndTheConnectActionDialsTheTransferNumber()
    {
        await using var rig = await StartAsync();
        var (callId, attemptId, sid, to, _) = await AnsweredCallAsync(rig);
        await using var relay = await RelayClient.ConnectAsync(rig.Host, PublicBase, attemptId, TwilioMock.AuthToken);
        await relay.SendSetupAsync(sid, TwilioNumber, to);
        rig.Model.Enqueue(FakeReply.ToolCalls("One moment.", ("transfer_call", "{}")));

        await relay.SendPromptAsync("Can I talk to a person?");
        var said = new List<string>();
        JsonObject frame;
        while ((string?)(frame = (await relay.ReceiveAsync())!)["type"] == "text")
        {
            said.Add((string?)frame["token"] ?? "");
        }
        Assert.Equal("end", (string?)frame["type"]);
        Assert.StartsWith("One moment.", string.Concat(said), StringComparison.Ordinal);
        var handoffData = (string?)frame["handoffData"];
        Assert.Equal(new Handoff("transferred", TransferNumber), Handoff.Parse(handoffData));
        await relay.CloseAsync(); // Twilio ends the session after an end, then requests the <Connect action>

        using var after = await PostSignedAsync(rig.Host, $"{TwilioUrls.Prefix}/{attemptId}/relay-ended",
        [
            new("AccountSid", TwilioMock.AccountSid), new("CallSid", sid), new("CallStatus", "in-progress"),
            new("SessionId", "VX" + new string('2', 32)), new("SessionStatus", "ended"), new("HandoffData", handoffData!),
        ]);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("dial", TransferNumber, [new("callerId", TwilioNumber)])]]);
        TwimlAssert.SameDocument(expected[0], await after.Content.ReadAsStringAsync());

        var conversation = (await EndedTranscriptAsync(rig.Host, callId))["conversations"]![0]!["conversation"]!;
        Assert.Equal("transferred", (string?)conversation["endReason"]);
        Assert.Equal(TransferNumber, (string?)conversation["transferredTo"]);
    }
}
