using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Typed client of Twilio's 2010-04-01 Calls API over <see cref="HttpClient"/> (Twilio's SDK is not used). Paths, field
/// names and the form encoding follow Twilio's OpenAPI spec (<c>twilio_api_v2010.json</c>) and the official npm
/// library <c>twilio</c> 6.x (<c>lib/rest/api/v2010/account/call.js</c>: same keys, same order, one pair per array item,
/// RFC 3986 percent-encoding so <c>+</c> is <c>%2B</c>, booleans <c>true</c>/<c>false</c>). Each exchange is limited to
/// <see cref="TwilioOptions.RequestTimeout"/> (then <see cref="TimeoutException"/>); HTTP 429 is retried up to
/// <see cref="TwilioOptions.MaxRetries"/> times after its <c>Retry-After</c> (else 1, 2, 4... s, at most
/// <see cref="TwilioOptions.MaxRetryDelay"/>); any other non-2xx becomes <see cref="TwilioApiException"/>.
/// Network failures surface as <see cref="HttpRequestException"/>.
/// </summary>
/// <param name="http">Used as is; its own Timeout should be infinite (the client applies RequestTimeout itself). Not disposed.</param>
/// <param name="clock">Waits between 429 retries run on it, so tests can skip them.</param>
public sealed class TwilioRestClient(HttpClient http, IOptions<TwilioOptions> options, TimeProvider clock)
{
    private static readonly MediaTypeHeaderValue FormType = new("application/x-www-form-urlencoded");

    private TwilioOptions Options => options.Value;

    private string CallsPath => $"/2010-04-01/Accounts/{Uri.EscapeDataString(Options.AccountSid)}/Calls";

    /// <summary>
    /// The longest time one request may take, 429 retries included: RequestTimeout × (MaxRetries + 1) +
    /// MaxRetryDelay × MaxRetries. A call created by a request that started at T has Twilio's <c>date_created</c>
    /// no later than T plus this.
    /// </summary>
    public TimeSpan MaxRequestSpan => Options.RequestTimeout * (Options.MaxRetries + 1) + Options.MaxRetryDelay * Options.MaxRetries;

    /// <summary>Creates (dials) a call. Twilio answers 201 with the Call resource, normally <c>status</c> queued.</summary>
    /// <exception cref="TwilioApiException">Twilio refused the request (4xx; 429 after the retries) or failed (5xx).</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout: whether the call exists is unknown.</exception>
    public async Task<TwilioCallResource> CreateCallAsync(TwilioCreateCall call, CancellationToken ct) =>
        Parse<TwilioCallResource>(await SendAsync(HttpMethod.Post, $"{CallsPath}.json", CreateCallForm(call), ct));

    /// <summary>Updates a live call: ends it (<c>Status</c>) or gives it new instructions (<c>Twiml</c>/<c>Url</c>).</summary>
    /// <exception cref="TwilioApiException">E.g. 404 (no such call) or 400 code 21220 (call not in a state that allows it).</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<TwilioCallResource> UpdateCallAsync(string callSid, TwilioUpdateCall update, CancellationToken ct) =>
        Parse<TwilioCallResource>(await SendAsync(HttpMethod.Post, $"{CallsPath}/{Uri.EscapeDataString(callSid)}.json", UpdateCallForm(update), ct));

    /// <summary>The call with SID <paramref name="callSid"/>, or null when Twilio answers 404.</summary>
    /// <exception cref="TwilioApiException">Any other error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<TwilioCallResource?> FetchCallAsync(string callSid, CancellationToken ct)
    {
        try
        {
            return Parse<TwilioCallResource>(await SendAsync(HttpMethod.Get, $"{CallsPath}/{Uri.EscapeDataString(callSid)}.json", null, ct));
        }
        catch (TwilioApiException e) when (e.HttpStatus == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// The recordings of call <paramref name="callSid"/> (first page, up to 50, as Twilio lists them), or an empty list
    /// when Twilio answers 404 (no such call).
    /// </summary>
    /// <exception cref="TwilioApiException">Any other error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<IReadOnlyList<TwilioRecordingResource>> ListCallRecordingsAsync(string callSid, CancellationToken ct)
    {
        try
        {
            var page = Parse<TwilioRecordingPage>(await SendAsync(HttpMethod.Get, $"{CallsPath}/{Uri.EscapeDataString(callSid)}/Recordings.json", null, ct));
            return page.Recordings ?? [];
        }
        catch (TwilioApiException e) when (e.HttpStatus == 404)
        {
            return [];
        }
    }

    /// <summary>
    /// The media URL of recording <paramref name="recordingSid"/>, as Twilio's recording status callback gives it in
    /// <c>RecordingUrl</c>: <c>{BaseUrl}/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}</c> (no extension).
    /// </summary>
    public string RecordingUrl(string recordingSid) =>
        $"{Options.BaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(Options.AccountSid)}/Recordings/{Uri.EscapeDataString(recordingSid)}";

    /// <summary>
    /// Calls from <paramref name="from"/> to <paramref name="to"/> (query <c>To</c>, <c>From</c>, <c>PageSize=1000</c>),
    /// newest first as Twilio lists them, every call of each page read. Pages are followed through <c>next_page_uri</c>
    /// (at most 5) only while the oldest call of the last page was created on or after <paramref name="createdOnOrAfter"/>
    /// (00:00 UTC). No <c>StartTime</c> filter is sent: a call still queued at Twilio has no start time and would be hidden.
    /// </summary>
    /// <exception cref="TwilioApiException">Twilio answered an error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<IReadOnlyList<TwilioCallResource>> ListCallsAsync(string to, string from, DateOnly createdOnOrAfter, CancellationToken ct)
    {
        var cutoff = new DateTimeOffset(createdOnOrAfter.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var calls = new List<TwilioCallResource>();
        string? path = $"{CallsPath}.json?{Encode([new("To", to), new("From", from), new("PageSize", "1000")])}";
        for (var page = 0; page < 5 && path is not null; page++)
        {
            var body = Parse<TwilioCallPage>(await SendAsync(HttpMethod.Get, path, null, ct));
            var list = body.Calls ?? [];
            calls.AddRange(list);
            var reachedCutoff = list.Count == 0 || list.Min(c => c.DateCreated ?? DateTimeOffset.MinValue) < cutoff;
            path = reachedCutoff || string.IsNullOrEmpty(body.NextPageUri) ? null : body.NextPageUri;
        }
        return calls;
    }

    /// <summary>
    /// The form body of CreateCall exactly as the npm library <c>twilio</c> 6.2.0 builds it for the same arguments
    /// (key order of <c>CallListInstance.create</c>; absent fields omitted).
    /// </summary>
    public static string CreateCallForm(TwilioCreateCall c)
    {
        var f = new List<KeyValuePair<string, string>> { new("To", c.To), new("From", c.From) };
        Add(f, "StatusCallback", c.StatusCallback);
        foreach (var e in c.StatusCallbackEvent ?? [])
        {
            f.Add(new("StatusCallbackEvent", e));
        }
        Add(f, "StatusCallbackMethod", c.StatusCallbackMethod);
        Add(f, "Timeout", c.Timeout?.ToString(CultureInfo.InvariantCulture));
        Add(f, "Record", Bool(c.Record));
        Add(f, "RecordingStatusCallback", c.RecordingStatusCallback);
        Add(f, "MachineDetection", c.MachineDetection);
        Add(f, "AsyncAmd", Bool(c.AsyncAmd));
        Add(f, "AsyncAmdStatusCallback", c.AsyncAmdStatusCallback);
        Add(f, "TimeLimit", c.TimeLimit?.ToString(CultureInfo.InvariantCulture));
        Add(f, "Url", c.Url);
        return Encode(f);
    }

    /// <summary>The form body of UpdateCall in the npm library's key order (<c>Url</c>, <c>Status</c>, <c>Twiml</c>).</summary>
    public static string UpdateCallForm(TwilioUpdateCall u)
    {
        var f = new List<KeyValuePair<string, string>>();
        Add(f, "Url", u.Url);
        Add(f, "Status", u.Status);
        Add(f, "Twiml", u.Twiml);
        return Encode(f);
    }

    private static void Add(List<KeyValuePair<string, string>> form, string key, string? value)
    {
        if (value is not null)
        {
            form.Add(new(key, value));
        }
    }

    private static string? Bool(bool? value) => value switch { true => "true", false => "false", null => null };

    /// <summary>RFC 3986 percent-encoding of every byte outside <c>A-Z a-z 0-9 - . _ ~</c>, as the npm <c>qs</c> package does.</summary>
    private static string Encode(List<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    private Task<string> SendAsync(HttpMethod method, string pathAndQuery, string? form, CancellationToken ct)
    {
        var o = Options;
        var uri = new Uri(o.BaseUrl.TrimEnd('/') + pathAndQuery, UriKind.Absolute);
        var (user, password) = o.BasicCredentials;
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return ProviderHttp.SendAsync(http, () =>
        {
            var request = new HttpRequestMessage(method, uri);
            request.Headers.Authorization = auth;
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (form is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(form));
                request.Content.Headers.ContentType = FormType;
            }
            return request;
        }, "Twilio", o.RequestTimeout, o.MaxRetries, o.MaxRetryDelay, clock, Error, ct);
    }

    private static TwilioApiException Error(HttpResponseMessage response, string body, TimeSpan? retryAfter)
    {
        TwilioErrorBody? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize<TwilioErrorBody>(body);
        }
        catch (JsonException)
        {
            // Not Twilio's error JSON (a proxy's page, a mock's problem document): keep the raw text below.
        }
        var message = parsed?.Message ?? (string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? "" : body.Length > 500 ? body[..500] : body);
        return new TwilioApiException((int)response.StatusCode, parsed?.Code, message, parsed?.MoreInfo, retryAfter);
    }

    private static T Parse<T>(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body) ?? throw new InvalidDataException("Twilio answered an empty JSON body.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Twilio answered JSON that does not match its Call resource: {e.Message}", e);
        }
    }
}
