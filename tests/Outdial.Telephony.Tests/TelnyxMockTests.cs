using System.Text;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Telephony;
using Outdial.Telephony.Telnyx;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>
/// Every request the Telnyx client and provider send is checked by Prism against Telnyx's official OpenAPI spec: a request
/// that broke the spec would be answered 422 and fail these tests.
/// </summary>
[Collection(TelnyxMock.Collection)]
public sealed class TelnyxMockTests(TelnyxMock mock)
{
    private TelnyxOptions Options => Telnyx.Options(mock.Url);

    private TelnyxRestClient Client(HttpMessageHandler? handler = null) => Telnyx.Client(handler ?? new SocketsHttpHandler(), Options, TimeProvider.System);

    public static TheoryData<bool, AnsweringMachineDetection, int, int> DialVariants => new()
    {
        { false, AnsweringMachineDetection.Off, 30, 600 },
        { true, AnsweringMachineDetection.Off, 1, 5 },
        { false, AnsweringMachineDetection.Enable, 45, 3600 },
        { true, AnsweringMachineDetection.DetectMessageEnd, 900, 100_000 },
    };

    [Theory]
    [MemberData(nameof(DialVariants))]
    public async Task Dial_EveryVariant_AcceptedByMockAndPlaced(bool record, AnsweringMachineDetection amd, int ring, int max)
    {
        var health = new TelnyxHealth(TimeProvider.System);
        health.RecordConfigurationError(401, 10009, "stale");
        var provider = Telnyx.Provider(Client(), Options, TimeProvider.System, health);

        var result = await provider.DialAsync(new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", ring, max, record, amd), CancellationToken.None);

        Assert.Equal(new DialResult.Placed(TelnyxMock.ExampleCallControlId), result);
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task Dial_BreakingTheSpec_RejectedWith422AsTelnyxApiException()
    {
        // An unknown AMD mode and a string timeout: the mock must refuse them, or it proves nothing.
        var breaking = new RewritingHandler(body => body
            .Replace("\"timeout_secs\":30", "\"timeout_secs\":\"thirty\"", StringComparison.Ordinal)
            .Replace("\"answering_machine_detection\":\"detect\"", "\"answering_machine_detection\":\"psychic\"", StringComparison.Ordinal));
        var dial = TelnyxProvider.DialRequestFor(
            new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false, AnsweringMachineDetection.Enable), Telnyx.ConnectionId, Telnyx.PublicBaseUrl);

        var e = await Assert.ThrowsAsync<TelnyxApiException>(() => Client(breaking).DialAsync(dial, CancellationToken.None));

        // Prism answers a request that breaks the spec with the operation's documented 422 example (not a validation report).
        Assert.Equal(422, e.HttpStatus);
        Assert.NotNull(e.Code);
    }

    [Fact]
    public async Task Commands_HangUpSpeakRelayTransfer_AcceptedByMock()
    {
        var provider = Telnyx.Provider(Client(), Options, TimeProvider.System);
        var plan = new ConversationPlan
        {
            WelcomeGreeting = "Hi, this is Acme's AI assistant.",
            GreetingDisclosures = [],
            SystemPrompt = "You are helpful.",
            ClosingDisclosure = "",
            Lines = ConversationLines.For("en-US", null),
            Questions = [],
            Language = "en-US",
            Voice = "alice",
            Interruptible = true,
            MaxTurns = 20,
            CloseAfter = TimeSpan.FromMinutes(5),
            TimeZone = "America/New_York",
        };

        await provider.HangUpAsync(TelnyxMock.ExampleCallControlId, CancellationToken.None);
        await provider.SpeakAsync(TelnyxMock.ExampleCallControlId, "Hello, this is a message.", "alice", "en-US", "att_1:voicemail", CancellationToken.None);
        await provider.StartConversationAsync(TelnyxMock.ExampleCallControlId,
            TelnyxUrls.Relay(Telnyx.PublicBaseUrl, "att_1", "KEYtest"), plan, "att_1:relay", CancellationToken.None);
        await provider.TransferAsync(TelnyxMock.ExampleCallControlId, "+15557654321", "+15550000100", "att_1:transfer", CancellationToken.None);
    }

    [Fact]
    public async Task Lookup_WithCallControlId_EndedCallFromMockBecomesCompletedReport()
    {
        var now = DateTimeOffset.UtcNow;
        var provider = Telnyx.Provider(Client(), Options, TimeProvider.System);
        var attempt = Attempts.New(TelnyxMock.ExampleCallControlId, now) with { Provider = "telnyx", AnsweredAt = now, Status = AttemptStatus.InProgress };

        var snapshot = await provider.LookupAsync(attempt, CancellationToken.None);

        // The spec's example: is_alive false, call_duration 50, end_time 2019-01-23T18:11:52.574Z.
        Assert.NotNull(snapshot);
        var end = snapshot.Events[^1];
        Assert.Equal((ProviderEventKind.Completed, CallEndStatus.Completed, 50), (end.Kind, end.EndStatus!.Value, end.DurationSec!.Value));
        Assert.Equal(new DateTimeOffset(2019, 1, 23, 18, 11, 52, 574, TimeSpan.Zero), end.At);
    }

    [Fact]
    public async Task Lookup_WithoutCallControlId_ListsActiveCallsAcceptedByMock()
    {
        var provider = Telnyx.Provider(Client(), Options, TimeProvider.System);
        var attempt = Attempts.New(null, DateTimeOffset.UtcNow) with { Provider = "telnyx" };

        // The example active call carries another attempt's client_state: ours is not live yet, and too young to give up on.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(attempt, CancellationToken.None));
        Assert.Contains("Ask again later", e.Message, StringComparison.Ordinal);
        Assert.Null(await provider.LookupAsync(attempt with { CreatedAt = DateTimeOffset.UtcNow - TimeSpan.FromHours(1) }, CancellationToken.None));
    }

    [Fact]
    public async Task LookupRecording_RecordingsListAcceptedByMock()
    {
        var provider = Telnyx.Provider(Client(), Options, TimeProvider.System);

        var url = await provider.LookupRecordingAsync(Attempts.New(TelnyxMock.ExampleCallControlId, DateTimeOffset.UtcNow), CancellationToken.None);

        // The spec's example: one completed recording whose download_urls.mp3 is the placeholder "string".
        Assert.Equal("string", url);
    }

    /// <summary>Sends the request with its JSON body rewritten, to prove the mock refuses what breaks the spec.</summary>
    private sealed class RewritingHandler(Func<string, string> rewrite) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Content is not null)
            {
                var body = rewrite(await request.Content.ReadAsStringAsync(ct));
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }
            return await base.SendAsync(request, ct);
        }
    }
}
