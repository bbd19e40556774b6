using System.Net;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>The reconciler's questions (lookup with and without a SID) and hang-up idempotency, over a stub handler.</summary>
public sealed class TwilioLookupAndHangUpTests
{
    private static readonly DateTimeOffset CreatedAt = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private const string Sid1 = "CA00000000000000000000000000000001";
    private const string Sid2 = "CA00000000000000000000000000000002";

    private static (TwilioProvider Provider, StubHandler Stub) Setup(InstantClock clock, Func<SeenRequest, int, HttpResponseMessage> answer)
    {
        var stub = new StubHandler(answer);
        var options = Twilio.Options("https://api.twilio.test");
        return (Twilio.Provider(Twilio.Client(stub, options, clock), options, clock), stub);
    }

    private static HttpResponseMessage Page(params string[] calls) =>
        StubHandler.Json(HttpStatusCode.OK, $$"""{"calls": [{{string.Join(",", calls)}}], "next_page_uri": null, "page": 0, "page_size": 1000}""");

    [Fact]
    public async Task LookupWithoutSid_ExactlyOneCallInWindow_ReturnsItsSnapshot()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromSeconds(30));
        var (provider, stub) = Setup(clock, (_, _) => Page(
            StubHandler.Call(Sid1, "ringing", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(2)), startTime: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(3))),
            StubHandler.Call(Sid2, "completed", duration: "40", dateCreated: TwilioMock.Rfc2822(CreatedAt - TimeSpan.FromHours(3)))));

        var snapshot = await provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None);

        Assert.NotNull(snapshot);
        Assert.Equal(Sid1, snapshot.ProviderCallId);
        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Ringing], snapshot.Events.Select(e => e.Kind));
        Assert.All(snapshot.Events, e => Assert.Equal("att_1", e.AttemptId));
        Assert.Equal("/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json?To=%2B15551234567&From=%2B15550000100&PageSize=1000",
            stub.Requests.Single().PathAndQuery);
    }

    private const string NextPage = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json?To=%2B15551234567&From=%2B15550000100&PageSize=1000&Page=1&PageToken=PA1";

    [Fact]
    public async Task LookupWithoutSid_FirstPageAllNewer_FollowsNextPageUri_AndFindsTheCallThere()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromMinutes(10));
        var (provider, stub) = Setup(clock, (_, i) => i == 0
            ? StubHandler.Json(HttpStatusCode.OK, $$"""{"calls": [{{StubHandler.Call(Sid2, "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromMinutes(5)))}}], "next_page_uri": "{{NextPage}}"}""")
            : Page(StubHandler.Call(Sid1, "busy", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(2))),
                StubHandler.Call("CA00000000000000000000000000000003", "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt - TimeSpan.FromDays(2)))));

        var snapshot = await provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None);

        Assert.Equal(Sid1, snapshot!.ProviderCallId);
        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Completed], snapshot.Events.Select(e => e.Kind));
        Assert.Equal(NextPage, stub.Requests[1].PathAndQuery);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task LookupWithoutSid_FirstPageReachesBackBeforeTheAttemptsDay_NextPageNotRead()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromMinutes(10));
        var (provider, stub) = Setup(clock, (_, _) => StubHandler.Json(HttpStatusCode.OK, $$"""{"calls": [{{string.Join(",",
            StubHandler.Call(Sid1, "completed", duration: "12", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(1))),
            StubHandler.Call(Sid2, "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt - TimeSpan.FromDays(1))))}}], "next_page_uri": "{{NextPage}}"}"""));

        var snapshot = await provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None);

        Assert.Equal(Sid1, snapshot!.ProviderCallId);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task LookupWithoutSid_NoCallAndAttemptOlderThanTwoMinutes_ReturnsNull()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromMinutes(10));
        var (provider, _) = Setup(clock, (_, _) => Page(StubHandler.Call(Sid2, "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt - TimeSpan.FromHours(3)))));

        Assert.Null(await provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None));
    }

    [Fact]
    public async Task LookupWithoutSid_NoCallYetAndAttemptYoung_Throws()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromSeconds(20));
        var (provider, _) = Setup(clock, (_, _) => Page());

        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None));
    }

    [Fact]
    public async Task LookupWithoutSid_TwoCallsInWindow_ThrowsAmbiguous()
    {
        var clock = new InstantClock(CreatedAt + TimeSpan.FromMinutes(10));
        var (provider, _) = Setup(clock, (_, _) => Page(
            StubHandler.Call(Sid1, "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(1))),
            StubHandler.Call(Sid2, "completed", dateCreated: TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(5)))));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(Attempts.New(null, CreatedAt), CancellationToken.None));

        Assert.Contains(Sid1, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LookupWithSid_UnknownToTwilio_Throws()
    {
        var (provider, _) = Setup(new InstantClock(CreatedAt), (_, _) => StubHandler.TwilioError(HttpStatusCode.NotFound, 20404, "The requested resource was not found"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(Attempts.New(Sid1, CreatedAt), CancellationToken.None));
    }

    private static HttpResponseMessage Recordings(params (string Sid, string Status, DateTimeOffset Created)[] recordings) =>
        StubHandler.Json(HttpStatusCode.OK, $$"""{"recordings": [{{string.Join(",", recordings.Select(r =>
            $$"""{"sid": "{{r.Sid}}", "call_sid": "{{Sid1}}", "status": "{{r.Status}}", "duration": "12", "date_created": "{{TwilioMock.Rfc2822(r.Created)}}"}"""))}}], "next_page_uri": null}""");

    [Fact]
    public async Task LookupRecording_NewestCompletedWins_AskedByCallSid()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (_, _) => Recordings(
            ("RE00000000000000000000000000000001", "completed", CreatedAt),
            ("RE00000000000000000000000000000002", "completed", CreatedAt + TimeSpan.FromSeconds(30)),
            ("RE00000000000000000000000000000003", "absent", CreatedAt + TimeSpan.FromSeconds(40))));

        var url = await provider.LookupRecordingAsync(Attempts.New(Sid1, CreatedAt), CancellationToken.None);

        Assert.Equal("https://api.twilio.test/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE00000000000000000000000000000002", url);
        var request = stub.Requests.Single();
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal($"/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls/{Sid1}/Recordings.json", request.PathAndQuery);
    }

    [Theory]
    [InlineData("processing")]
    [InlineData("in-progress")]
    public async Task LookupRecording_NotFinished_ThrowsToBeAskedAgain(string status)
    {
        var (provider, _) = Setup(new InstantClock(CreatedAt), (_, _) => Recordings(("RE00000000000000000000000000000001", status, CreatedAt)));

        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupRecordingAsync(Attempts.New(Sid1, CreatedAt), CancellationToken.None));
    }

    [Fact]
    public async Task LookupRecording_NoneOrOnlyAbsent_Null_AndWithoutSidTwilioIsNotAsked()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (r, _) => r.PathAndQuery.Contains(Sid1, StringComparison.Ordinal)
            ? Recordings()
            : Recordings(("RE00000000000000000000000000000001", "absent", CreatedAt)));

        Assert.Null(await provider.LookupRecordingAsync(Attempts.New(Sid1, CreatedAt), CancellationToken.None));
        Assert.Null(await provider.LookupRecordingAsync(Attempts.New(Sid2, CreatedAt), CancellationToken.None));
        Assert.Null(await provider.LookupRecordingAsync(Attempts.New(null, CreatedAt), CancellationToken.None));
        Assert.Equal(2, stub.Requests.Count);
    }

    [Theory]
    [InlineData("busy", null, null, CallOutcome.Busy, new[] { ProviderEventKind.Initiated, ProviderEventKind.Completed })]
    [InlineData("no-answer", null, null, CallOutcome.NoAnswer, new[] { ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Completed })]
    [InlineData("completed", "human", "35", CallOutcome.Answered,
        new[] { ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Answered, ProviderEventKind.Completed })]
    [InlineData("failed", null, null, CallOutcome.Error, new[] { ProviderEventKind.Initiated, ProviderEventKind.Completed })]
    public void Snapshot_EndedCall_EventsAndOutcomeFromStatusMap(string status, string? answeredBy, string? duration, CallOutcome outcome, ProviderEventKind[] kinds)
    {
        var end = CreatedAt + TimeSpan.FromMinutes(1);
        var call = System.Text.Json.JsonSerializer.Deserialize<TwilioCallResource>(StubHandler.Call(Sid1, status, answeredBy, duration,
            TwilioMock.Rfc2822(CreatedAt), TwilioMock.Rfc2822(CreatedAt + TimeSpan.FromSeconds(1)), TwilioMock.Rfc2822(end)))!;

        var snapshot = TwilioProvider.Snapshot(call, "att_1", end);

        Assert.Equal(kinds, snapshot.Events.Select(e => e.Kind));
        var completed = snapshot.Events[^1];
        Assert.Null(completed.Outcome); // the provider reports facts; the one mapping decides
        Assert.Equal(outcome, OutcomeMapper.Map(completed.EndStatus!.Value, completed.AnsweredBy, completed.SipCode, completed.Q850Code));
        Assert.Equal(end, completed.At);
        Assert.Equal(status, completed.Raw!["CallStatus"]);
        Assert.Equal(TwilioStatusMap.ParseInt(duration), completed.DurationSec);
        Assert.True(snapshot.Events.Zip(snapshot.Events.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        if (duration is not null)
        {
            Assert.Equal(end - TimeSpan.FromSeconds(35), snapshot.Events.Single(e => e.Kind == ProviderEventKind.Answered).At);
        }
    }

    [Fact]
    public async Task HangUp_RingingCall_CompletedRefusedThenCanceled()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (r, _) => r.Body == "Status=completed"
            ? StubHandler.TwilioError(HttpStatusCode.BadRequest, 21220, "Call is not in-progress. Cannot redirect.")
            : StubHandler.Json(HttpStatusCode.OK, StubHandler.Call(Sid1, "canceled")));

        await provider.HangUpAsync(Sid1, CancellationToken.None);

        Assert.Equal(["Status=completed", "Status=canceled"], stub.Requests.Select(r => r.Body));
        Assert.All(stub.Requests, r => Assert.Equal($"/2010-04-01/Accounts/{Twilio.AccountSid}/Calls/{Sid1}.json", r.PathAndQuery));
    }

    [Fact]
    public async Task HangUp_AlreadyEndedCall_IsNotAnErrorAndCanRepeat()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (_, _) => StubHandler.TwilioError(HttpStatusCode.BadRequest, 21220, "Call is not in-progress."));

        await provider.HangUpAsync(Sid1, CancellationToken.None);
        await provider.HangUpAsync(Sid1, CancellationToken.None);

        Assert.Equal(4, stub.Requests.Count);
    }

    [Fact]
    public async Task HangUp_UnknownCall_IsNotAnError()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (_, _) => StubHandler.TwilioError(HttpStatusCode.NotFound, 20404, "Not found"));

        await provider.HangUpAsync(Sid1, CancellationToken.None);

        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task HangUp_ServerError_Throws()
    {
        var (provider, _) = Setup(new InstantClock(CreatedAt), (_, _) => StubHandler.TwilioError(HttpStatusCode.ServiceUnavailable, 20503, "Service unavailable"));

        await Assert.ThrowsAsync<TwilioApiException>(() => provider.HangUpAsync(Sid1, CancellationToken.None));
    }

    [Fact]
    public async Task PlayVoicemail_WithTwiml_UpdatesCallWithThatTwiml()
    {
        var (provider, stub) = Setup(new InstantClock(CreatedAt), (_, _) => StubHandler.Json(HttpStatusCode.OK, StubHandler.Call(Sid1, "in-progress")));

        await provider.PlayVoicemailAsync(Sid1, "<Response><Say>Hi +1</Say></Response>", CancellationToken.None);

        Assert.Equal("Twiml=%3CResponse%3E%3CSay%3EHi%20%2B1%3C%2FSay%3E%3C%2FResponse%3E", stub.Requests.Single().Body);
    }
}
