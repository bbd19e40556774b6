using System.Net;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Tests;

/// <summary>
/// How Twilio's errors to CreateCall become dial results. Twilio's real error bodies cannot be produced by the spec
/// mock on demand, so a stub handler answers them here.
/// </summary>
public sealed class TwilioDialErrorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DialRequest Request = new("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, false);
    private const string Sid = "CA00000000000000000000000000000001";

    private static (TwilioProvider Provider, StubHandler Stub, TwilioHealth Health, InstantClock Clock) Setup(
        Func<SeenRequest, int, Task<HttpResponseMessage>> answer, Action<TwilioOptions>? change = null)
    {
        var clock = new InstantClock(Now);
        var stub = new StubHandler(answer);
        var options = Twilio.Options("https://api.twilio.test", change);
        var health = new TwilioHealth(clock);
        return (Twilio.Provider(Twilio.Client(stub, options, clock), options, clock, health), stub, health, clock);
    }

    private static (TwilioProvider Provider, StubHandler Stub, TwilioHealth Health, InstantClock Clock) Setup(
        Func<SeenRequest, int, HttpResponseMessage> answer, Action<TwilioOptions>? change = null) =>
        Setup((r, i) => Task.FromResult(answer(r, i)), change);

    [Theory]
    [InlineData(21211)]
    [InlineData(21214)]
    [InlineData(21217)]
    [InlineData(13223)]
    [InlineData(13224)]
    public async Task Dial_InvalidNumberError_RefusedInvalidNumber(int code)
    {
        var (provider, _, health, _) = Setup((_, _) => StubHandler.TwilioError(HttpStatusCode.BadRequest, code, "Invalid 'To' Phone Number"));

        var result = await provider.DialAsync(Request, CancellationToken.None);

        var refused = Assert.IsType<DialResult.Refused>(result);
        Assert.Equal(CallOutcome.InvalidNumber, refused.Outcome);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Error, StringComparison.Ordinal);
        Assert.Null(health.LastConfigurationError);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, 20003)]
    [InlineData(HttpStatusCode.NotFound, 20404)]
    [InlineData(HttpStatusCode.BadRequest, 21210)]
    [InlineData(HttpStatusCode.BadRequest, 21212)]
    [InlineData(HttpStatusCode.BadRequest, 21215)]
    [InlineData(HttpStatusCode.BadRequest, 21401)]
    [InlineData(HttpStatusCode.BadRequest, 21219)]
    [InlineData(HttpStatusCode.Forbidden, 99999)]
    public async Task Dial_ConfigurationError_RefusedAsProviderConfigurationAndRecordedInHealth(HttpStatusCode status, int code)
    {
        var (provider, _, health, _) = Setup((_, i) => i == 0
            ? StubHandler.TwilioError(status, code, "Authenticate")
            : StubHandler.Json(HttpStatusCode.Created, StubHandler.Call(Sid, "queued")));

        var result = await provider.DialAsync(Request, CancellationToken.None);

        var refused = Assert.IsType<DialResult.Refused>(result);
        Assert.Equal((CallOutcome.Error, TwilioProvider.ConfigurationStatus), (refused.Outcome, refused.ProviderStatus));
        Assert.Contains($"Twilio error {code}", refused.Error, StringComparison.Ordinal);
        var problem = health.LastConfigurationError;
        Assert.NotNull(problem);
        Assert.Equal(((int)status, (int?)code, Now), (problem.HttpStatus, problem.Code, problem.At));

        // The next accepted dial clears it.
        Assert.IsType<DialResult.Placed>(await provider.DialAsync(Request, CancellationToken.None));
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task Dial_ServerError_Throws()
    {
        var (provider, _, health, _) = Setup((_, _) => StubHandler.TwilioError(HttpStatusCode.InternalServerError, 20500, "Internal Server Error"));

        var e = await Assert.ThrowsAsync<TwilioApiException>(() => provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal((500, (int?)20500), (e.HttpStatus, e.Code));
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task Dial_NoAnswerWithinRequestTimeout_ThrowsTimeout()
    {
        var (provider, _, _, _) = Setup(async (_, _) =>
        {
            await Task.Delay(Timeout.Infinite);
            throw new System.Diagnostics.UnreachableException();
        }, o => o.RequestTimeout = TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<TimeoutException>(() => provider.DialAsync(Request, CancellationToken.None));
    }

    [Fact]
    public async Task Dial_NetworkError_Throws()
    {
        var (provider, _, _, _) = Setup((Func<SeenRequest, int, HttpResponseMessage>)((_, _) => throw new HttpRequestException("connection refused")));

        await Assert.ThrowsAsync<HttpRequestException>(() => provider.DialAsync(Request, CancellationToken.None));
    }

    [Fact]
    public async Task Dial_429WithRetryAfterThenCreated_WaitsAsToldAndPlaces()
    {
        var (provider, stub, _, clock) = Setup((_, i) =>
        {
            if (i == 0)
            {
                var busy = StubHandler.TwilioError(HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");
                busy.Headers.RetryAfter = new(TimeSpan.FromSeconds(1));
                return busy;
            }
            return StubHandler.Json(HttpStatusCode.Created, StubHandler.Call(Sid, "queued"));
        });

        var result = await provider.DialAsync(Request, CancellationToken.None);

        Assert.Equal(new DialResult.Placed(Sid), result);
        Assert.Equal(2, stub.Requests.Count);
        Assert.Equal(stub.Requests[0].Body, stub.Requests[1].Body);
        Assert.Contains(TimeSpan.FromSeconds(1), clock.Waits);
    }

    [Fact]
    public async Task Dial_429Forever_GivesUpAfterMaxRetriesWithException()
    {
        var (provider, stub, _, clock) = Setup((_, _) => StubHandler.TwilioError(HttpStatusCode.TooManyRequests, 20429, "Too Many Requests"),
            o => o.MaxRetries = 3);

        var e = await Assert.ThrowsAsync<TwilioApiException>(() => provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal(429, e.HttpStatus);
        Assert.Equal(4, stub.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)],
            clock.Waits.Where(w => w < TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Dial_OtherBadRequest_RefusedAsRejectedWithoutHealthProblem()
    {
        var (provider, _, health, _) = Setup((_, _) => StubHandler.TwilioError(HttpStatusCode.BadRequest, 21205, "Url is not a valid URL"));

        var refused = Assert.IsType<DialResult.Refused>(await provider.DialAsync(Request, CancellationToken.None));

        Assert.Equal((CallOutcome.Error, TwilioProvider.RejectedStatus), (refused.Outcome, refused.ProviderStatus));
        Assert.Null(health.LastConfigurationError);
    }

    [Fact]
    public async Task Client_ApiKeyConfigured_AuthenticatesWithApiKey()
    {
        string? auth = null;
        var clock = new InstantClock(Now);
        var options = Twilio.Options("https://api.twilio.test", o => (o.ApiKeySid, o.ApiKeySecret) = ("SK123", "secret"));
        var handler = new AuthCapture(a => auth = a);
        var client = Twilio.Client(handler, options, clock);

        await client.FetchCallAsync(Sid, CancellationToken.None);

        Assert.Equal("Basic " + Convert.ToBase64String("SK123:secret"u8.ToArray()), auth);
    }

    private sealed class AuthCapture(Action<string?> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen(request.Headers.Authorization?.ToString());
            return Task.FromResult(StubHandler.Json(HttpStatusCode.OK, StubHandler.Call(Sid, "queued")));
        }
    }
}
