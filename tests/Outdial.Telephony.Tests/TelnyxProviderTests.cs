using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Telnyx;

namespace Outdial.Telephony.Tests;

/// <summary>Telnyx errors → refusal or unknown outcome, idempotent hang-up, retries, the hang-up cause map, registration.</summary>
public sealed class TelnyxProviderTests
{
    private static readonly DialRequest Request = new("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false);
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static (TelnyxProvider Provider, StubHandler Stub, TelnyxHealth Health) Build(Func<SeenRequest, int, HttpResponseMessage> answer)
    {
        var stub = new StubHandler(answer);
        var clock = new InstantClock(Now);
        var options = Telnyx.Options("https://api.telnyx.test");
        var health = new TelnyxHealth(clock);
        return (Telnyx.Provider(Telnyx.Client(stub, options, clock), options, clock, health), stub, health);
    }

    public static TheoryData<HttpStatusCode, int, string?, CallOutcome, string> Refusals => new()
    {
        { HttpStatusCode.UnprocessableEntity, 10016, "/to", CallOutcome.InvalidNumber, "10016" },
        { HttpStatusCode.Unauthorized, 10009, null, CallOutcome.Error, TelnyxProvider.ConfigurationStatus },
        { HttpStatusCode.Forbidden, 10010, null, CallOutcome.Error, TelnyxProvider.ConfigurationStatus },
        { HttpStatusCode.UnprocessableEntity, 10015, "/connection_id", CallOutcome.Error, TelnyxProvider.ConfigurationStatus },
        { HttpStatusCode.UnprocessableEntity, 10015, "/from", CallOutcome.Error, TelnyxProvider.ConfigurationStatus },
        { HttpStatusCode.UnprocessableEntity, 10004, "/to", CallOutcome.Error, TelnyxProvider.RejectedStatus },
        { HttpStatusCode.BadRequest, 10015, null, CallOutcome.Error, TelnyxProvider.RejectedStatus },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Dial_TelnyxError_RefusedWithOutcomeAndStatus(HttpStatusCode status, int code, string? pointer, CallOutcome outcome, string providerStatus)
    {
        var (provider, _, health) = Build((_, _) => Telnyx.Error(status, code, "Refused", pointer));

        var refused = Assert.IsType<DialResult.Refused>(await provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal((outcome, providerStatus), (refused.Outcome, refused.ProviderStatus));
        Assert.Contains($"Telnyx error {code}", refused.Error, StringComparison.Ordinal);
        Assert.Equal(providerStatus == TelnyxProvider.ConfigurationStatus, health.LastConfigurationError is not null);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Dial_UnknownOutcome_Throws(HttpStatusCode status)
    {
        var (provider, stub, _) = Build((_, _) => Telnyx.Error(status, 10007, "Unexpected"));

        await Assert.ThrowsAsync<TelnyxApiException>(() => provider.DialAsync(Request, CancellationToken.None));

        // 429 is retried MaxRetries (3) times, others are not.
        Assert.Equal(status == HttpStatusCode.TooManyRequests ? 4 : 1, stub.Requests.Count);
    }

    [Fact]
    public async Task Dial_429ThenAccepted_PlacedAfterRetryAfter()
    {
        var (provider, stub, _) = Build((_, i) => i == 0
            ? new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new(TimeSpan.FromSeconds(2)) } }
            : StubHandler.Json(HttpStatusCode.OK, """{"data":{"call_control_id":"v3:abc","call_leg_id":"l","call_session_id":"s","is_alive":false,"record_type":"call"}}"""));

        var placed = await provider.DialAsync(Request, CancellationToken.None);

        Assert.Equal(new DialResult.Placed("v3:abc"), placed);
        Assert.Equal(2, stub.Requests.Count);
        Assert.Equal("/v2/calls", stub.Requests[1].PathAndQuery);
    }

    [Theory]
    [InlineData(HttpStatusCode.UnprocessableEntity, 90018)]
    [InlineData(HttpStatusCode.UnprocessableEntity, 90015)]
    [InlineData(HttpStatusCode.NotFound, 10005)]
    public async Task HangUp_CallAlreadyOver_IsNotAnError(HttpStatusCode status, int code)
    {
        var (provider, stub, _) = Build((_, _) => Telnyx.Error(status, code, "Call has already ended"));

        await provider.HangUpAsync("v3:abc", CancellationToken.None);

        Assert.Equal("/v2/calls/v3%3Aabc/actions/hangup", Assert.Single(stub.Requests).PathAndQuery);
    }

    [Fact]
    public async Task HangUp_OtherError_Throws()
    {
        var (provider, _, _) = Build((_, _) => Telnyx.Error(HttpStatusCode.UnprocessableEntity, 90045, "Media Streaming is used"));

        await Assert.ThrowsAsync<TelnyxApiException>(() => provider.HangUpAsync("v3:abc", CancellationToken.None));
    }

    [Fact]
    public async Task Lookup_KnownIdTelnyxForgot_Null()
    {
        var (provider, _, _) = Build((_, _) => Telnyx.Error(HttpStatusCode.NotFound, 10005, "Resource not found"));

        Assert.Null(await provider.LookupAsync(Attempts.New("v3:abc", Now), CancellationToken.None));
    }

    [Fact]
    public async Task Lookup_EndedCallNeverAnswered_CompletedAsUnknownHangup()
    {
        var (provider, _, _) = Build((_, _) => StubHandler.Json(HttpStatusCode.OK,
            """{"data":{"call_control_id":"v3:abc","call_leg_id":"l","call_session_id":"s","is_alive":false,"record_type":"call","start_time":"2026-11-21T12:00:01Z","end_time":"2026-11-21T12:00:31Z"}}"""));

        var snapshot = await provider.LookupAsync(Attempts.New("v3:abc", Now), CancellationToken.None);

        var end = snapshot!.Events[^1];
        Assert.Equal((ProviderEventKind.Completed, CallEndStatus.Failed, "hangup_unknown"), (end.Kind, end.EndStatus!.Value, end.ProviderStatus));
        Assert.Equal(CallOutcome.Error, OutcomeMapper.Map(end.EndStatus.Value, null, null, null));
    }

    [Fact]
    public async Task Lookup_NoIdOneLiveCallWithOurState_ItsSnapshot()
    {
        var state = TelnyxUrls.ClientState("att_1");
        var (provider, stub, _) = Build((_, _) => StubHandler.Json(HttpStatusCode.OK,
            """{"data":[{"call_control_id":"v3:other","client_state":"b3RoZXI=","call_leg_id":"l","call_session_id":"s","record_type":"call"},{"call_control_id":"v3:ours","client_state":"STATE","call_leg_id":"l","call_session_id":"s","record_type":"call"}],"meta":{"cursors":{}}}""".Replace("STATE", state, StringComparison.Ordinal)));

        var snapshot = await provider.LookupAsync(Attempts.New(null, Now), CancellationToken.None);

        Assert.Equal("v3:ours", snapshot!.ProviderCallId);
        Assert.Equal(ProviderEventKind.Initiated, Assert.Single(snapshot.Events).Kind);
        Assert.StartsWith($"/v2/connections/{Telnyx.ConnectionId}/active_calls", stub.Requests[0].PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("normal_clearing", null, null, CallOutcome.Answered)]
    [InlineData("normal_clearing", null, AnsweredBy.Machine, CallOutcome.Voicemail)]
    [InlineData("time_limit", null, null, CallOutcome.Answered)]
    [InlineData("user_busy", "486", null, CallOutcome.Busy)]
    [InlineData("timeout", null, null, CallOutcome.NoAnswer)]
    [InlineData("no_answer", "480", null, CallOutcome.NoAnswer)]
    [InlineData("originator_cancel", "487", null, CallOutcome.NoAnswer)]
    [InlineData("call_rejected", "603", null, CallOutcome.Rejected)]
    [InlineData("call_rejected", "unspecified", null, CallOutcome.Rejected)]
    [InlineData("not_found", "404", null, CallOutcome.InvalidNumber)]
    [InlineData("not_found", null, null, CallOutcome.InvalidNumber)]
    [InlineData("unspecified", "480", null, CallOutcome.Unreachable)]
    [InlineData("unspecified", "503", null, CallOutcome.Error)]
    public void HangupCause_MapsThroughOutcomeMapper(string cause, string? sipCause, AnsweredBy? answeredBy, CallOutcome expected)
    {
        var sip = TelnyxStatusMap.SipCodeOf(sipCause);

        var outcome = TelnyxStatusMap.OutcomeWithoutSip(cause, sip) ?? OutcomeMapper.Map(TelnyxStatusMap.EndStatusOf(cause), answeredBy, sip, null);

        Assert.Equal(expected, outcome);
    }

    [Theory]
    [InlineData("human", AnsweredBy.Human)]
    [InlineData("human_residence", AnsweredBy.Human)]
    [InlineData("human_business", AnsweredBy.Human)]
    [InlineData("machine", AnsweredBy.Machine)]
    [InlineData("fax_detected", AnsweredBy.Machine)]
    [InlineData("not_sure", AnsweredBy.Unknown)]
    [InlineData("silence", AnsweredBy.Unknown)]
    [InlineData(null, null)]
    public void AmdResult_MapsToAnsweredBy(string? result, AnsweredBy? expected) => Assert.Equal(expected, TelnyxStatusMap.AnsweredByOf(result));

    [Theory]
    [InlineData(0, true)]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(-301, false)]
    [InlineData(301, false)]
    public void Signature_TimestampWithin300SecondsOfOurClock(int offsetSeconds, bool valid)
    {
        var timestamp = (Now.ToUnixTimeSeconds() + offsetSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string body = """{"data":{"event_type":"call.initiated"}}""";

        Assert.Equal(valid, TelnyxSignature.IsValid(Telnyx.PublicKey, Telnyx.Sign(timestamp, body), timestamp, System.Text.Encoding.UTF8.GetBytes(body), Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64")]
    [InlineData("AAAA")]
    public void Signature_UnusableKey_NeverValid(string key)
    {
        var timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.False(TelnyxSignature.IsValid(key, Telnyx.Sign(timestamp, "{}"), timestamp, "{}"u8, Now));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging();
        services.AddOptions<OutdialOptions>().BindConfiguration("Outdial");
        services.AddTelnyxTelephony(config);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Outdial:PublicBaseUrl"] = "https://outdial.example.com",
        ["Outdial:Telnyx:ApiKey"] = "KEYtest",
        ["Outdial:Telnyx:PublicKey"] = Telnyx.PublicKey,
        ["Outdial:Telnyx:ConnectionId"] = Telnyx.ConnectionId,
        ["Outdial:Telnyx:CallsPerSecond"] = "4",
    };

    [Fact]
    public void AddTelnyxTelephony_Configured_RegistersProvider()
    {
        using var sp = Services(Valid());

        var provider = Assert.IsType<TelnyxProvider>(Assert.Single(sp.GetServices<ITelephonyProvider>()));
        Assert.Equal(("telnyx", (double?)4), (provider.Name, provider.CallsPerSecond));
        Assert.Equal("https://api.telnyx.com", sp.GetRequiredService<IOptions<TelnyxOptions>>().Value.BaseUrl);
    }

    [Fact]
    public void AddTelnyxTelephony_NoApiKey_RegistersNothing()
    {
        var settings = Valid();
        settings.Remove("Outdial:Telnyx:ApiKey");
        using var sp = Services(settings);

        Assert.Empty(sp.GetServices<ITelephonyProvider>());
    }

    [Theory]
    [InlineData("Outdial:Telnyx:PublicKey", null, "PublicKey")]
    [InlineData("Outdial:Telnyx:PublicKey", "bm90IGEga2V5", "PublicKey")]
    [InlineData("Outdial:Telnyx:ConnectionId", "", "ConnectionId")]
    [InlineData("Outdial:Telnyx:BaseUrl", "api.telnyx.com", "BaseUrl")]
    [InlineData("Outdial:Telnyx:CallsPerSecond", "0", "CallsPerSecond")]
    [InlineData("Outdial:PublicBaseUrl", null, "PublicBaseUrl")]
    public void AddTelnyxTelephony_BadSetting_FailsValidationNamingIt(string key, string? value, string named)
    {
        var settings = Valid();
        settings[key] = value;
        using var sp = Services(settings);

        var e = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = sp.GetRequiredService<IOptions<TelnyxOptions>>().Value;
            _ = sp.GetRequiredService<IOptions<OutdialOptions>>().Value;
        });
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
