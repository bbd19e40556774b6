using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;

namespace Outdial.Telephony.Tests;

/// <summary>
/// <see cref="PlivoProvider"/>: Plivo's errors to "Make a call" as dial results and health, hang-up's fallbacks, the
/// reconciler's lookups, <see cref="PlivoStatusMap"/> through the one <see cref="OutcomeMapper"/>, and registration.
/// Plivo's error answers cannot be produced by the capture server on demand, so a stub handler answers them here.
/// </summary>
public sealed class PlivoProviderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DialRequest Request = new("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false);
    private const string RequestUuid = "9834029e-58b6-11e1-b8b7-a5bd0e4e126f";
    private const string CallUuid = "eba53b9e-8fbd-45c1-9444-696d2172fbc8";

    private static (PlivoProvider Provider, StubHandler Stub, PlivoHealth Health) Setup(Func<SeenRequest, int, HttpResponseMessage> answer)
    {
        var clock = new InstantClock(Now);
        var stub = new StubHandler(answer);
        var options = Options.Create(new PlivoOptions { AuthId = PlivoRequestTests.AuthId, AuthToken = "t", BaseUrl = "https://api.plivo.test" });
        var client = new PlivoRestClient(new HttpClient(stub) { Timeout = Timeout.InfiniteTimeSpan }, options);
        var health = new PlivoHealth(clock);
        var provider = new PlivoProvider(client, health, options, Options.Create(new OutdialOptions { PublicBaseUrl = "https://outdial.example.com" }),
            clock, NullLogger<PlivoProvider>.Instance);
        return (provider, stub, health);
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string error) =>
        StubHandler.Json(status, $$"""{"api_id": "x", "error": "{{error}}"}""");

    [Fact]
    public async Task Dial_Accepted_PlacedWithTheRequestUuid_AndHealthCleared()
    {
        var (provider, stub, health) = Setup((_, i) => i == 0
            ? Error(HttpStatusCode.Unauthorized, "authentication failed")
            : StubHandler.Json(HttpStatusCode.Created, $$"""{"api_id": "a", "message": "call fired", "request_uuid": "{{RequestUuid}}"}"""));

        var refused = Assert.IsType<DialResult.Refused>(await provider.DialAsync(Request, CancellationToken.None));
        Assert.Equal((CallOutcome.Error, PlivoProvider.ConfigurationStatus), (refused.Outcome, refused.ProviderStatus));
        Assert.Equal(401, health.LastConfigurationError!.HttpStatus);

        var placed = Assert.IsType<DialResult.Placed>(await provider.DialAsync(Request, CancellationToken.None));
        Assert.Equal(RequestUuid, placed.ProviderCallId);
        Assert.Null(health.LastConfigurationError);
        Assert.Equal(HttpMethod.Post, stub.Requests[1].Method);
        Assert.Equal($"/v1/Account/{PlivoRequestTests.AuthId}/Call/", stub.Requests[1].PathAndQuery);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "authentication failed", "provider_configuration", CallOutcome.Error)]
    [InlineData(HttpStatusCode.PaymentRequired, "insufficient credit", "provider_configuration", CallOutcome.Error)]
    [InlineData(HttpStatusCode.Forbidden, "destination country barred", "provider_configuration", CallOutcome.Error)]
    [InlineData(HttpStatusCode.NotFound, "not found", "provider_configuration", CallOutcome.Error)]
    [InlineData(HttpStatusCode.BadRequest, "invalid 'from' number", "provider_configuration", CallOutcome.Error)]
    [InlineData(HttpStatusCode.BadRequest, "invalid 'to' number", "400", CallOutcome.InvalidNumber)]
    [InlineData(HttpStatusCode.BadRequest, "invalid destination address", "400", CallOutcome.InvalidNumber)]
    [InlineData(HttpStatusCode.BadRequest, "answer_url is not a valid url", "provider_rejected", CallOutcome.Error)]
    [InlineData(HttpStatusCode.UnprocessableEntity, "unprocessable", "provider_rejected", CallOutcome.Error)]
    public async Task Dial_PlivoError_IsRefusedAsTheTableSays(HttpStatusCode status, string error, string providerStatus, CallOutcome outcome)
    {
        var (provider, _, health) = Setup((_, _) => Error(status, error));

        var refused = Assert.IsType<DialResult.Refused>(await provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal((outcome, providerStatus), (refused.Outcome, refused.ProviderStatus));
        Assert.Contains(error, refused.Error, StringComparison.Ordinal);
        Assert.Equal(providerStatus == PlivoProvider.ConfigurationStatus, health.LastConfigurationError is not null);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task Dial_OutcomeUnknown_Throws_SoTheReconcilerDecides(HttpStatusCode status)
    {
        var (provider, _, health) = Setup((_, _) => Error(status, "try later"));

        var e = await Assert.ThrowsAsync<PlivoApiException>(() => provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal((int)status, e.HttpStatus);
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task HangUp_AnsweredCallKnownOnlyByItsRequestUuid_IsFoundAmongLiveCalls_AndHungUp()
    {
        var (provider, stub, _) = Setup((r, _) => (r.Method.Method, r.PathAndQuery) switch
        {
            ("DELETE", var p) when p.EndsWith($"/Call/{CallUuid}/", StringComparison.Ordinal) => new HttpResponseMessage(HttpStatusCode.NoContent),
            ("DELETE", _) => Error(HttpStatusCode.NotFound, "not found"),
            ("GET", var p) when p.Contains("/Call/?status=live", StringComparison.Ordinal) =>
                StubHandler.Json(HttpStatusCode.OK, $$"""{"calls": ["other-call", "{{CallUuid}}"]}"""),
            ("GET", var p) when p.Contains("other-call", StringComparison.Ordinal) =>
                StubHandler.Json(HttpStatusCode.OK, """{"call_uuid": "other-call", "request_uuid": "other-request", "call_status": "in-progress"}"""),
            _ => StubHandler.Json(HttpStatusCode.OK, $$"""{"call_uuid": "{{CallUuid}}", "request_uuid": "{{RequestUuid}}", "call_status": "in-progress"}"""),
        });

        await provider.HangUpAsync(RequestUuid, CancellationToken.None);

        Assert.Equal(
            [$"DELETE /Call/{RequestUuid}/", $"DELETE /Request/{RequestUuid}/", "GET /Call/?status=live", "GET /Call/other-call?status=live",
             $"GET /Call/{CallUuid}?status=live", $"DELETE /Call/{CallUuid}/"],
            stub.Requests.Select(r => $"{r.Method} {r.PathAndQuery[$"/v1/Account/{PlivoRequestTests.AuthId}".Length..]}"));
    }

    [Fact]
    public async Task HangUp_EndedCall_IsNotAnError()
    {
        var (provider, stub, _) = Setup((r, _) => r.Method == HttpMethod.Delete
            ? Error(HttpStatusCode.NotFound, "not found")
            : StubHandler.Json(HttpStatusCode.OK, """{"calls": []}"""));

        await provider.HangUpAsync(RequestUuid, CancellationToken.None);

        Assert.Equal(3, stub.Requests.Count);
    }

    [Fact]
    public async Task Lookup_WithTheCallUuid_MapsTheCallDetailRecord_ThroughTheOneOutcomeMapper()
    {
        var (provider, _, _) = Setup((_, _) => StubHandler.Json(HttpStatusCode.OK, $$"""
            {"call_uuid": "{{CallUuid}}", "call_duration": 0, "bill_duration": 0, "initiation_time": "2026-11-21 12:00:00+00:00",
             "end_time": "2026-11-21 12:00:31+00:00", "hangup_cause_code": 2000, "hangup_cause_name": "Invalid Destination Address",
             "hangup_source": "Carrier", "call_state": "FAILED"}
            """));
        var attempt = Attempts.New(RequestUuid, Now) with
        {
            Provider = "plivo",
            ProviderRaw = new Dictionary<string, string> { [PlivoProvider.CallUuidKey] = CallUuid },
        };

        var snapshot = await provider.LookupAsync(attempt, CancellationToken.None);

        var end = snapshot!.Events[^1];
        Assert.Equal(ProviderEventKind.Completed, end.Kind);
        Assert.Equal(RequestUuid, end.ProviderCallId);
        Assert.Equal(Now.AddSeconds(31), end.At);
        Assert.Equal(CallOutcome.InvalidNumber, OutcomeMapper.Map(end.EndStatus!.Value, null, end.SipCode, end.Q850Code));
        Assert.Equal("2000", end.Raw!["HangupCauseCode"]);
        Assert.DoesNotContain(snapshot.Events, e => e.Kind == ProviderEventKind.Answered);
    }

    [Fact]
    public async Task Lookup_NoProviderId_NoCallAfterTwoMinutes_IsNeverReached_ButTooEarlyThrows()
    {
        var (provider, _, _) = Setup((r, _) => StubHandler.Json(HttpStatusCode.OK,
            r.PathAndQuery.Contains("status=live", StringComparison.Ordinal) ? """{"calls": []}""" : """{"objects": []}"""));

        Assert.Null(await provider.LookupAsync(Attempts.New(null, Now.AddMinutes(-3)) with { Provider = "plivo" }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.LookupAsync(Attempts.New(null, Now.AddSeconds(-30)) with { Provider = "plivo" },
            CancellationToken.None));
    }

    [Theory]
    [InlineData("completed", null, null, "NORMAL_CLEARING", true, null, CallOutcome.Answered)]
    [InlineData("completed", null, null, "NORMAL_CLEARING", true, AnsweredBy.Machine, CallOutcome.Voicemail)]
    [InlineData("busy", 3000, "Busy Line", "USER_BUSY", false, null, CallOutcome.Busy)]
    [InlineData("no-answer", null, "No Answer", "NO_ANSWER", false, null, CallOutcome.NoAnswer)]
    [InlineData("cancel", 1000, "Canceled", "ORIGINATOR_CANCEL", false, null, CallOutcome.NoAnswer)]
    [InlineData("failed", 2000, "Invalid Destination Address", null, false, null, CallOutcome.InvalidNumber)]
    [InlineData("failed", 2010, "Destination Out Of Service", null, false, null, CallOutcome.Unreachable)]
    [InlineData("failed", null, null, "CALL_REJECTED", false, null, CallOutcome.Rejected)]
    [InlineData("failed", 1010, "Canceled (Out Of Credits)", null, false, null, CallOutcome.Error)]
    [InlineData("timeout", null, null, null, false, null, CallOutcome.Error)]
    [InlineData(null, null, "Ring Timeout Reached", null, false, null, CallOutcome.NoAnswer)]
    public void StatusMap_HangUpsMapThroughTheOneOutcomeMapper(string? status, int? code, string? name, string? cause, bool answered,
        AnsweredBy? answeredBy, CallOutcome expected)
    {
        var end = PlivoStatusMap.EndStatusOf(status, code, name, answered);

        Assert.Equal(expected, OutcomeMapper.Map(end, answeredBy, null, PlivoStatusMap.Q850Of(cause, code, name)));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        ProviderServices.Build(settings, (services, config) => services.AddPlivoTelephony(config));

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Outdial:PublicBaseUrl"] = "https://outdial.example.com",
        ["Outdial:Plivo:AuthId"] = PlivoRequestTests.AuthId,
        ["Outdial:Plivo:AuthToken"] = "token",
        ["Outdial:Plivo:CallsPerSecond"] = "10",
    };

    [Fact]
    public void AddPlivoTelephony_RegisteredOnlyWhenAuthIdIsSet_WithItsOptions_AndCannotConverse()
    {
        using var sp = Build(Valid());
        var provider = Assert.IsType<PlivoProvider>(Assert.Single(sp.GetServices<ITelephonyProvider>()));
        Assert.Equal(("plivo", (double?)10, false), (provider.Name, provider.CallsPerSecond, ((ITelephonyProvider)provider).CanConverse));
        Assert.Equal("https://api.plivo.com", sp.GetRequiredService<IOptions<PlivoOptions>>().Value.BaseUrl);

        using var none = Build(new() { ["Outdial:PublicBaseUrl"] = "https://outdial.example.com" });
        Assert.Empty(none.GetServices<ITelephonyProvider>());
    }

    [Theory]
    [InlineData("Outdial:PublicBaseUrl", null)]
    [InlineData("Outdial:PublicBaseUrl", "ftp://outdial.example.com")]
    [InlineData("Outdial:Plivo:AuthId", "MA-not/an-id")]
    [InlineData("Outdial:Plivo:AuthToken", "")]
    [InlineData("Outdial:Plivo:BaseUrl", "api.plivo.com")]
    [InlineData("Outdial:Plivo:CallsPerSecond", "0")]
    public void AddPlivoTelephony_InvalidSettings_FailValidationAtStart(string key, string? value)
    {
        var settings = Valid();
        settings[key] = value;
        using var sp = Build(settings);

        var e = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = sp.GetRequiredService<IOptions<OutdialOptions>>().Value;
            _ = sp.GetRequiredService<IOptions<PlivoOptions>>().Value;
        });
        Assert.Contains(key.Split(':')[^1], e.Message, StringComparison.Ordinal);
    }
}
