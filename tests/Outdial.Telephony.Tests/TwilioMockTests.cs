using System.Text;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>
/// Every request the client and provider send is checked by Prism against Twilio's official OpenAPI spec: a request
/// that broke the spec would be answered 422 and fail these tests.
/// </summary>
[Collection(TwilioMock.Collection)]
public sealed class TwilioMockTests(TwilioMock mock)
{
    private const string ExampleSid = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private TwilioOptions Options => Twilio.Options(mock.Url, o => o.AuthToken = TwilioMock.AuthToken);

    private TwilioRestClient Client(HttpMessageHandler? handler = null) => Twilio.Client(handler ?? new SocketsHttpHandler(), Options, TimeProvider.System);

    public static TheoryData<bool, AnsweringMachineDetection> DialVariants => new()
    {
        { false, AnsweringMachineDetection.Off },
        { true, AnsweringMachineDetection.Off },
        { false, AnsweringMachineDetection.Enable },
        { true, AnsweringMachineDetection.DetectMessageEnd },
    };

    [Theory]
    [MemberData(nameof(DialVariants))]
    public async Task Dial_EveryVariant_AcceptedByMockAndPlaced(bool record, AnsweringMachineDetection amd)
    {
        var health = new TwilioHealth(TimeProvider.System);
        health.RecordConfigurationError(401, 20003, "stale");
        var provider = Twilio.Provider(Client(), Options, TimeProvider.System, health);

        var result = await provider.DialAsync(new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, record, amd), CancellationToken.None);

        Assert.Equal(new DialResult.Placed(ExampleSid), result);
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task CreateCall_MockAnswer_ParsedIntoCallResource()
    {
        var call = await Client().CreateCallAsync(
            TwilioProvider.CreateCallFor(new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false), Twilio.PublicBaseUrl),
            CancellationToken.None);

        Assert.Equal((ExampleSid, "queued", "outbound-api"), (call.Sid, call.Status, call.Direction));
        Assert.Equal(new DateTimeOffset(2010, 8, 31, 20, 36, 28, TimeSpan.Zero), call.DateCreated);
        Assert.Null(call.StartTime);
    }

    [Fact]
    public async Task CreateCall_BreakingTheSpec_RejectedWith422AsTwilioApiException()
    {
        // Timeout=abc is not an integer and To is missing: the mock must refuse it, or it proves nothing.
        var breaking = new RewritingHandler(body => body.Replace("Timeout=30", "Timeout=abc", StringComparison.Ordinal)
            .Replace("To=%2B15551234567&", "", StringComparison.Ordinal));
        var create = TwilioProvider.CreateCallFor(new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false), Twilio.PublicBaseUrl);

        var e = await Assert.ThrowsAsync<TwilioApiException>(() => Client(breaking).CreateCallAsync(create, CancellationToken.None));

        Assert.Equal(422, e.HttpStatus);
        Assert.Contains("Timeout", e.TwilioMessage, StringComparison.Ordinal);
        Assert.Contains("'To'", e.TwilioMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAndList_MockAnswers_Parsed()
    {
        var client = Client();

        var call = await client.FetchCallAsync(ExampleSid, CancellationToken.None);
        var calls = await client.ListCallsAsync("+15551234567", "+15550000100", DateOnly.FromDateTime(DateTime.UtcNow), CancellationToken.None);

        Assert.NotNull(call);
        Assert.Equal(("completed", "machine_start", "4"), (call.Status, call.AnsweredBy, call.Duration));
        Assert.Equal(new DateTimeOffset(2019, 10, 18, 17, 3, 0, TimeSpan.Zero), call.EndTime);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("CA", c.Sid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fetch_MockAnswers404_ReturnsNull()
    {
        var call = await Client(new PreferHandler("code=404")).FetchCallAsync(ExampleSid, CancellationToken.None);

        Assert.Null(call);
    }

    [Fact]
    public async Task LookupWithSid_MockExample_MapsCompletedMachineToVoicemail()
    {
        var provider = Twilio.Provider(Client(), Options, TimeProvider.System);
        var attempt = Attempts.New(ExampleSid, DateTimeOffset.UtcNow);

        var snapshot = await provider.LookupAsync(attempt, CancellationToken.None);

        Assert.NotNull(snapshot);
        Assert.Equal(ExampleSid, snapshot.ProviderCallId);
        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Answered, ProviderEventKind.Completed],
            snapshot.Events.Select(e => e.Kind));
        var completed = snapshot.Events[^1];
        Assert.Equal(CallOutcome.Voicemail, OutcomeMapper.Map(completed.EndStatus!.Value, completed.AnsweredBy, completed.SipCode, completed.Q850Code));
        Assert.Equal((AnsweredBy?)AnsweredBy.Machine, completed.AnsweredBy);
        Assert.Equal(4, completed.DurationSec);
        Assert.Equal(new DateTimeOffset(2019, 10, 18, 17, 3, 0, TimeSpan.Zero), completed.At);
        Assert.Equal("machine_start", completed.Raw!["AnsweredBy"]);
        Assert.Equal([1L, 2L, 3L, 4L], snapshot.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task LookupWithSid_MockAnswers404_Throws()
    {
        var provider = Twilio.Provider(Client(new PreferHandler("code=404")), Options, TimeProvider.System);

        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(Attempts.New(ExampleSid, DateTimeOffset.UtcNow), CancellationToken.None));
    }

    [Fact]
    public async Task LookupRecording_MockExample_CompletedRecordingGivesItsMediaUrl()
    {
        var provider = Twilio.Provider(Client(), Options, TimeProvider.System);

        var url = await provider.LookupRecordingAsync(Attempts.New(ExampleSid, DateTimeOffset.UtcNow), CancellationToken.None);

        // The spec's example lists one completed recording, REaaaa…; the URL has the recording callback's shape.
        Assert.Equal($"{mock.Url.TrimEnd('/')}/2010-04-01/Accounts/{Options.AccountSid}/Recordings/REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", url);
    }

    [Fact]
    public async Task LookupRecording_MockAnswers404_NoRecording()
    {
        var provider = Twilio.Provider(Client(new PreferHandler("code=404")), Options, TimeProvider.System);

        Assert.Null(await provider.LookupRecordingAsync(Attempts.New(ExampleSid, DateTimeOffset.UtcNow), CancellationToken.None));
    }

    [Fact]
    public async Task HangUpAndVoicemail_AcceptedByMock()
    {
        var provider = Twilio.Provider(Client(), Options, TimeProvider.System);

        await provider.HangUpAsync(ExampleSid, CancellationToken.None);
        await provider.PlayVoicemailAsync(ExampleSid, "<Response><Say>Please call us back.</Say></Response>", CancellationToken.None);
        await provider.PlayVoicemailAsync(ExampleSid, null, CancellationToken.None);
        var updated = await Client().UpdateCallAsync(ExampleSid, new TwilioUpdateCall(Url: "https://outdial.example.com/x"), CancellationToken.None);

        Assert.Equal(ExampleSid, updated.Sid);
    }

    [Fact]
    public async Task HangUp_MockAnswers404_IsNotAnError()
    {
        var provider = Twilio.Provider(Client(new PreferHandler("code=404")), Options, TimeProvider.System);

        await provider.HangUpAsync(ExampleSid, CancellationToken.None);
    }

    /// <summary>Adds Prism's <c>Prefer</c> header to every request.</summary>
    private sealed class PreferHandler(string prefer) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("Prefer", prefer);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Rewrites the form body on its way out, to send what our types cannot express.</summary>
    private sealed class RewritingHandler(Func<string, string> rewrite) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var type = request.Content.Headers.ContentType;
            request.Content = new StringContent(rewrite(body), Encoding.UTF8);
            request.Content.Headers.ContentType = type;
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
