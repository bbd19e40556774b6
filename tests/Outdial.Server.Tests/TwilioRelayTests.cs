using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;
using Outdial.Telephony.Twilio;
using Xunit;
using static Outdial.Server.Tests.TwilioCallbackTests;

namespace Outdial.Server.Tests;

/// <summary>
/// Twilio's ConversationRelay front over real HTTP and WebSocket (Kestrel on loopback): the relay WebSocket's upgrade is
/// verified like every callback (signature over the public <c>wss://</c> URL, no parameters) before a socket exists, and the
/// <c>&lt;Connect action&gt;</c> callback turns the session's handoff into a transfer (<c>&lt;Dial&gt;</c>) or a hang-up.
/// Whole conversations through Twilio are in <c>TwilioConversationTests</c>.
/// </summary>
public sealed class TwilioRelayTests
{
    [Fact]
    public async Task RelayUpgrade_ForgedUnsignedOrSignedForAnotherUrl_Is403_AndOpensNoSession()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (_, attemptId) = await NewTwilioAttemptAsync(host);
        var (_, otherAttempt) = await NewTwilioAttemptAsync(host);
        var publicUrl = RelayClient.PublicUrl(PublicBase, attemptId);
        var refusals = new List<(string Case, Task<(HttpStatusCode, RelayClient?)> Connect)>
        {
            ("no signature", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token, sign: false)),
            ("Twilio's documented example signature", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token, signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")),
            ("wrong auth token", RelayClient.TryConnectAsync(host, PublicBase, attemptId, "not-the-token")),
            ("signed over the https URL", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token, signedUrl: publicUrl.Replace("wss://", "https://", StringComparison.Ordinal))),
            ("signed over ws://", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token, signedUrl: publicUrl.Replace("wss://", "ws://", StringComparison.Ordinal))),
            ("signed for another attempt", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token, signedUrl: RelayClient.PublicUrl(PublicBase, otherAttempt))),
            ("signed over Kestrel's own address", RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token,
                signedUrl: $"ws://{host.BaseAddress.Authority}{TwilioUrls.RelayPrefix}/{attemptId}")),
        };
        foreach (var (name, connect) in refusals)
        {
            var (status, client) = await connect;
            Assert.True(status == HttpStatusCode.Forbidden && client is null, $"{name}: HTTP {(int)status}");
        }

        var engine = host.Services.GetRequiredService<ConversationEngine>();
        Assert.Equal(0, engine.LiveSessions);
        var attempt = await host.Services.GetRequiredService<ICallStore>().GetAttemptAsync(attemptId, CancellationToken.None);
        Assert.Null(attempt!.Conversation);
    }

    [Fact]
    public async Task RelayUpgrade_WithoutTwilioConfigured_Is404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:PublicBaseUrl"] = PublicBase });
        var (_, attemptId) = await NewTwilioAttemptAsync(host);

        var (status, client) = await RelayClient.TryConnectAsync(host, PublicBase, attemptId, Token);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(client);
    }

    [Fact]
    public async Task RelayRoute_SignedRequestThatIsNoWebSocketUpgrade_Is400()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (_, attemptId) = await NewTwilioAttemptAsync(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{TwilioUrls.RelayPrefix}/{attemptId}");
        request.Headers.Add(TwilioSignature.Header, await TwilioNode.SignatureAsync(Token, RelayClient.PublicUrl(PublicBase, attemptId)));
        using var client = host.NewClient(null);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(PublicBase)]
    [InlineData("http://outdial.example.test:8080/prefix")]
    public async Task RelaySession_ForAnAttemptThatCannotBeTalkedOn_GetsAnEndAtOnce_AndIsClosed(string publicBase)
    {
        await using var host = await OutdialHost.StartAsync(Settings(("Outdial:PublicBaseUrl", publicBase)));

        await using var relay = await RelayClient.ConnectAsync(host, publicBase, "att_does_not_exist", Token);

        var end = await relay.ExpectAsync("end");
        Assert.Equal("not_runnable", Handoff.Parse((string?)end["handoffData"])?.Reason);
        Assert.Empty(await relay.WaitForCloseAsync());
        Assert.Equal(0, host.Services.GetRequiredService<ConversationEngine>().LiveSessions);
    }

    [Fact]
    public async Task TwilioRoutes_AreLeftOutOfTheOpenApiDocument()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        using var client = host.NewClient(null);

        var paths = (await client.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!["paths"]!.AsObject();

        Assert.NotEmpty(paths);
        Assert.DoesNotContain(paths, p => p.Key.StartsWith("/providers/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RelayEnded_WithTheTransferTheConversationRecorded_DialsItWithTheCallersId()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (_, attemptId) = await NewTwilioAttemptAsync(host);
        var from = await RecordTransferAsync(host, attemptId, "+15551230199");

        var twiml = await RelayEndedAsync(host, attemptId, new Handoff("transferred", "+15551230199").Serialize());

        var dial = XDocument.Parse(twiml).Root!.Element("Dial")!;
        Assert.Equal("+15551230199", dial.Value);
        Assert.Equal(from, (string?)dial.Attribute("callerId"));
        Assert.Single(XDocument.Parse(twiml).Root!.Elements());
    }

    [Fact]
    public async Task RelayEnded_WithoutATransferTheConversationRecorded_HangsUp()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (_, attemptId) = await NewTwilioAttemptAsync(host);
        var (_, recorded) = await NewTwilioAttemptAsync(host);
        await RecordTransferAsync(host, recorded, "+15551230199");

        foreach (var (target, handoffData) in new[]
        {
            (attemptId, (string?)null),
            (attemptId, "not json"),
            (attemptId, new Handoff("completed").Serialize()),
            (attemptId, new Handoff("transferred", "+15551230199").Serialize()),
            (recorded, new Handoff("transferred", "+15551230100").Serialize()),
            ("att_does_not_exist", new Handoff("transferred", "+15551230199").Serialize()),
        })
        {
            var twiml = await RelayEndedAsync(host, target, handoffData);
            TwimlAssert.SameDocument(Twiml.HangUp(), twiml);
        }
    }

    [Fact]
    public async Task RelayEnded_Forged_Is403()
    {
        await using var host = await OutdialHost.StartAsync(Settings());
        var (_, attemptId) = await NewTwilioAttemptAsync(host);
        await RecordTransferAsync(host, attemptId, "+15551230199");
        List<KeyValuePair<string, string>> form = [new("CallSid", "CA1"), new("HandoffData", new Handoff("transferred", "+15551230199").Serialize())];

        using var unsigned = await PostAsync(host, attemptId, "relay-ended", form, sign: false);
        using var wrongToken = await PostAsync(host, attemptId, "relay-ended", form, token: "x");

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongToken.StatusCode);
    }

    /// <summary>Stores a finished conversation that transferred to <paramref name="number"/> on the attempt (what the engine writes before its <c>end</c>); answers the attempt's From.</summary>
    private static async Task<string> RecordTransferAsync(OutdialHost host, string attemptId, string number)
    {
        var store = host.Services.GetRequiredService<ICallStore>();
        var attempt = (await store.GetAttemptAsync(attemptId, CancellationToken.None))!;
        var now = DateTimeOffset.UtcNow;
        Assert.True(await store.TryUpdateAttemptAsync(attempt with
        {
            Conversation = new ConversationSummary
            {
                Method = "scripted",
                Model = "scripted-agent",
                StartedAt = now,
                EndedAt = now,
                EndReason = ConversationEndReason.Transferred,
                TransferredTo = number,
            },
            Version = attempt.Version + 1,
            UpdatedAt = now,
        }, CancellationToken.None));
        return attempt.From;
    }

    /// <summary>The <c>&lt;Connect action&gt;</c> request as Twilio sends it when a session ends (signed); answers the TwiML.</summary>
    private static async Task<string> RelayEndedAsync(OutdialHost host, string attemptId, string? handoffData)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", "AC00000000000000000000000000000000"),
            new("CallSid", "CA12121212121212121212121212121212"),
            new("CallStatus", "in-progress"),
            new("SessionId", "VX12121212121212121212121212121212"),
            new("SessionStatus", "ended"),
            new("SessionDuration", "42"),
        };
        if (handoffData is not null)
        {
            form.Add(new("HandoffData", handoffData));
        }
        using var response = await PostAsync(host, attemptId, "relay-ended", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }
}
