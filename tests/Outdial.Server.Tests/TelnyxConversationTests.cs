using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Conversation;
using Outdial.Telephony.Telnyx;
using Outdial.Tests.Shared;
using Xunit;
using static Outdial.Server.Tests.TelnyxEndToEndTests;

namespace Outdial.Server.Tests;

/// <summary>
/// A conversation through Telnyx with a model (<see cref="FakeOpenAi"/>): the model transfers the call, the relay session
/// ends with the handoff, and on <c>call.conversation.ended</c> Outdial sends Telnyx's <c>transfer</c> command (accepted by
/// the mock of Telnyx's spec) to the agent's transfer number, shown the call's caller ID.
/// </summary>
[Collection(TelnyxMock.Collection)]
public sealed class TelnyxConversationTests(TelnyxMock mock)
{
    private const string TransferNumber = "+15551230198";

    [Fact]
    public async Task ModelTransfers_ConversationEnded_SendsTransferToTheRecordedNumber()
    {
        await using var model = await FakeOpenAi.StartAsync();
        await using var rig = await StartAsync(mock, s =>
        {
            s["Outdial:Llm:Endpoint"] = model.Endpoint;
            s["Outdial:Llm:ApiKey"] = "sk-test";
            s["Outdial:Llm:Model"] = "gpt-test";
        });
        var agent = await rig.Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Telnyx talker " + Guid.NewGuid().ToString("N")[..6],
            ["prompt"] = "You confirm appointments.",
            ["firstMessage"] = "Hi.",
            ["transferNumber"] = TransferNumber,
            ["disclosures"] = new JsonObject { ["enabled"] = false },
            ["phoneNumberId"] = rig.PhoneNumberId,
        });
        Assert.True(agent.StatusCode == HttpStatusCode.Created, await agent.Content.ReadAsStringAsync());
        var created = await rig.Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next("0000"),
            ["from"] = TelnyxNumber,
            ["agentId"] = (string)(await agent.JsonAsync())["id"]!,
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var callId = (string)(await created.JsonAsync())["id"]!;
        var (attemptId, id) = await WaitForDialAsync(rig.Host, callId);
        await SendAsync(rig.Host, attemptId, id, "call.answered");
        var start = await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/conversation_relay_start", StringComparison.Ordinal));

        var (_, connected) = await RelayClient.TryConnectPathAsync(rig.Host, new Uri((string)start.Body!["url"]!).AbsolutePath);
        var relay = connected!;
        await using (relay)
        {
            await relay.SendSetupAsync(id, TelnyxNumber, "+15551230000");
            model.Enqueue(FakeReply.ToolCalls("One moment.", ("transfer_call", "{}")));
            await relay.SendPromptAsync("Can I talk to a person?");
            JsonObject frame;
            while ((string?)(frame = (await relay.ReceiveAsync())!)["type"] == "text")
            {
            }
            Assert.Equal("end", (string?)frame["type"]);
            Assert.Equal(new Handoff("transferred", TransferNumber), Handoff.Parse((string?)frame["handoffData"]));
            await relay.CloseAsync();
        }
        await SendAsync(rig.Host, attemptId, id, "call.conversation.ended", new JsonObject { ["reason"] = "customer_disconnect" });

        var transfer = await WaitForRequestAsync(rig.Front, r => r.Path.EndsWith("/actions/transfer", StringComparison.Ordinal));
        Assert.Equal(200, transfer.MockStatus);
        Assert.Equal((TransferNumber, TelnyxNumber, $"{attemptId}:transfer"),
            ((string?)transfer.Body!["to"], (string?)transfer.Body["from"], (string?)transfer.Body["command_id"]));
        Assert.DoesNotContain(rig.Front.Requests, r => r.Path.EndsWith("/actions/hangup", StringComparison.Ordinal));
        rig.AssertAllAcceptedByTheSpec();
        Assert.Equal(TelnyxUrls.Relay(PublicBase, attemptId, ApiKey), (string?)start.Body["url"]);
    }
}
