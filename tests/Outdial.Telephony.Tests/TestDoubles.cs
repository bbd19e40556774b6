using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Outdial.Core.Accounts;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Tests;

/// <summary>
/// A clock that stands still until waited on: every timer fires at once (on the thread pool) and moves the clock by its
/// due time, so 429 back-offs take no real time and <see cref="Waits"/> records what the client waited.
/// </summary>
public sealed class InstantClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;

    /// <summary>Every timer due time requested, in order.</summary>
    public List<TimeSpan> Waits { get; } = [];

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <summary>Moves the clock forward by <paramref name="by"/>.</summary>
    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            Waits.Add(dueTime);
            _now += dueTime;
        }
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>One request as a stub handler saw it.</summary>
public sealed record SeenRequest(HttpMethod Method, string PathAndQuery, string? Body);

/// <summary>An <see cref="HttpMessageHandler"/> that answers from a function of (request, index) and records requests.</summary>
public sealed class StubHandler(Func<SeenRequest, int, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    /// <summary>Every request received, in order.</summary>
    public List<SeenRequest> Requests { get; } = [];

    public StubHandler(Func<SeenRequest, int, HttpResponseMessage> answer)
        : this((r, i) => Task.FromResult(answer(r, i)))
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var seen = new SeenRequest(request.Method, request.RequestUri!.PathAndQuery, body);
        int index;
        lock (Requests)
        {
            Requests.Add(seen);
            index = Requests.Count - 1;
        }
        cancellationToken.ThrowIfCancellationRequested();
        return await answer(seen, index).WaitAsync(cancellationToken);
    }

    /// <summary>A JSON response with <paramref name="status"/>.</summary>
    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>Twilio's error body <c>{code, message, more_info, status}</c>.</summary>
    public static HttpResponseMessage TwilioError(HttpStatusCode status, int code, string message) =>
        Json(status, $$"""{"code": {{code}}, "message": "{{message}}", "more_info": "https://www.twilio.com/docs/errors/{{code}}", "status": {{(int)status}}}""");

    /// <summary>A Call resource with the given fields (times are RFC 2822 text or null).</summary>
    public static string Call(string sid, string status, string? answeredBy = null, string? duration = null,
        string? dateCreated = "Sat, 21 Nov 2026 12:00:00 +0000", string? startTime = null, string? endTime = null) =>
        $$"""
        {"sid": "{{sid}}", "account_sid": "{{Twilio.AccountSid}}", "to": "+15551234567", "from": "+15550000100", "status": "{{status}}",
         "direction": "outbound-api", "answered_by": {{Q(answeredBy)}}, "duration": {{Q(duration)}}, "date_created": {{Q(dateCreated)}},
         "date_updated": {{Q(dateCreated)}}, "start_time": {{Q(startTime)}}, "end_time": {{Q(endTime)}}}
        """;

    private static string Q(string? s) => s is null ? "null" : $"\"{s}\"";
}

/// <summary>Builds clients and providers for tests.</summary>
public static class Twilio
{
    public const string AccountSid = "AC00000000000000000000000000000000";
    public const string PublicBaseUrl = "https://outdial.example.com";

    public static TwilioOptions Options(string baseUrl, Action<TwilioOptions>? change = null)
    {
        var o = new TwilioOptions { AccountSid = AccountSid, AuthToken = "test-token", BaseUrl = baseUrl };
        change?.Invoke(o);
        return o;
    }

    public static TwilioRestClient Client(HttpMessageHandler handler, TwilioOptions options, TimeProvider clock) =>
        new(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, Microsoft.Extensions.Options.Options.Create(options), clock);

    public static TwilioProvider Provider(TwilioRestClient client, TwilioOptions options, TimeProvider clock, TwilioHealth? health = null) =>
        new(client, health ?? new TwilioHealth(clock), Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new OutdialOptions { PublicBaseUrl = PublicBaseUrl }), clock, NullLogger<TwilioProvider>.Instance);
}

/// <summary>Attempts for lookups.</summary>
public static class Attempts
{
    public static Core.Calls.Attempt New(string? providerCallId, DateTimeOffset createdAt) => new()
    {
        Id = "att_1",
        CallId = "call_1",
        AccountId = "acc_1",
        Number = 1,
        Provider = "twilio",
        ProviderCallId = providerCallId,
        Status = Core.Calls.AttemptStatus.Dialing,
        To = "+15551234567",
        From = "+15550000100",
        CreatedAt = createdAt,
        UpdatedAt = createdAt,
    };
}

/// <summary>Service providers for the registration tests: configuration, logging and <c>Outdial</c> options bound, plus the provider under test.</summary>
public static class ProviderServices
{
    public static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> add)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging();
        services.AddOptions<OutdialOptions>().BindConfiguration("Outdial");
        add(services, config);
        return services.BuildServiceProvider();
    }
}
