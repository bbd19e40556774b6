using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Typed client of Telnyx's Call Control v2 REST API over <see cref="HttpClient"/> (no Telnyx SDK exists for .NET).
/// Paths and field names follow Telnyx's OpenAPI spec (<c>telnyx_spec3.yml</c>, operations DialCall, RetrieveCallStatus,
/// HangupCall, SpeakCall, CallStartConversationRelay, ListConnectionActiveCalls, GetRecordings); bodies are JSON with
/// <c>Authorization: Bearer {ApiKey}</c>, null members left out. Each exchange is limited to
/// <see cref="TelnyxOptions.RequestTimeout"/> (then <see cref="TimeoutException"/>); HTTP 429 is retried up to
/// <see cref="TelnyxOptions.MaxRetries"/> times after its <c>Retry-After</c> (else 1, 2, 4... s, at most
/// <see cref="TelnyxOptions.MaxRetryDelay"/>); any other non-2xx becomes <see cref="TelnyxApiException"/>.
/// Network failures surface as <see cref="HttpRequestException"/>.
/// </summary>
/// <param name="http">Used as is; its own Timeout should be infinite (the client applies RequestTimeout itself). Not disposed.</param>
/// <param name="clock">Waits between 429 retries run on it, so tests can skip them.</param>
public sealed class TelnyxRestClient(HttpClient http, IOptions<TelnyxOptions> options, TimeProvider clock)
{
    /// <summary>JSON as Telnyx takes it: snake_case names come from the records' attributes; nulls are left out.</summary>
    public static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private TelnyxOptions Options => options.Value;

    /// <summary>
    /// The longest time one request may take, 429 retries included: RequestTimeout × (MaxRetries + 1) + MaxRetryDelay × MaxRetries.
    /// </summary>
    public TimeSpan MaxRequestSpan => Options.RequestTimeout * (Options.MaxRetries + 1) + Options.MaxRetryDelay * Options.MaxRetries;

    /// <summary>Dials (<c>POST /v2/calls</c>). Telnyx answers 200 with the call (<c>call_control_id</c>, <c>is_alive</c> false).</summary>
    /// <exception cref="TelnyxApiException">Telnyx refused the request (4xx; 429 after the retries) or failed (5xx).</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout: whether the call exists is unknown.</exception>
    public async Task<TelnyxCall> DialAsync(TelnyxDialRequest dial, CancellationToken ct) =>
        Data<TelnyxCall>(await SendAsync(HttpMethod.Post, "/v2/calls", DialBody(dial), ct));

    /// <summary>Sends a call command (<c>POST /v2/calls/{id}/actions/{action}</c>, e.g. <c>hangup</c>, <c>speak</c>, <c>conversation_relay_start</c>).</summary>
    /// <exception cref="TelnyxApiException">E.g. 422 code 90018 (the call has already ended) or 90015 (invalid call control id).</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task ActionAsync<T>(string callControlId, string action, T body, CancellationToken ct) =>
        await SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(callControlId)}/actions/{action}",
            JsonSerializer.Serialize(body, Json), ct);

    /// <summary>The call <paramref name="callControlId"/> (<c>GET /v2/calls/{id}</c>), or null when Telnyx answers 404 (unknown, or ended more than 10 minutes ago).</summary>
    /// <exception cref="TelnyxApiException">Any other error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<TelnyxCall?> RetrieveCallAsync(string callControlId, CancellationToken ct)
    {
        try
        {
            return Data<TelnyxCall>(await SendAsync(HttpMethod.Get, $"/v2/calls/{Uri.EscapeDataString(callControlId)}", null, ct));
        }
        catch (TelnyxApiException e) when (e.HttpStatus == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// The live calls of the Call Control Application (<c>GET /v2/connections/{ConnectionId}/active_calls</c>, 250 per page,
    /// at most 10 pages followed through <c>meta.cursors.after</c>). Ended calls are not listed.
    /// </summary>
    /// <exception cref="TelnyxApiException">Telnyx answered an error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<IReadOnlyList<TelnyxCall>> ListActiveCallsAsync(CancellationToken ct)
    {
        var calls = new List<TelnyxCall>();
        var basePath = $"/v2/connections/{Uri.EscapeDataString(Options.ConnectionId)}/active_calls?page%5Bsize%5D=250";
        string? after = null;
        for (var page = 0; page < 10; page++)
        {
            var path = after is null ? basePath : $"{basePath}&page%5Bafter%5D={Uri.EscapeDataString(after)}";
            var body = Parse<TelnyxActiveCallsPage>(await SendAsync(HttpMethod.Get, path, null, ct));
            calls.AddRange(body.Data ?? []);
            after = body.Meta?.Cursors?.After;
            if (string.IsNullOrEmpty(after) || body.Data is not { Count: > 0 })
            {
                break;
            }
        }
        return calls;
    }

    /// <summary>The recordings of call <paramref name="callControlId"/> (<c>GET /v2/recordings?filter[call_control_id]=</c>, first page).</summary>
    /// <exception cref="TelnyxApiException">Telnyx answered an error status.</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout.</exception>
    public async Task<IReadOnlyList<TelnyxRecording>> ListRecordingsAsync(string callControlId, CancellationToken ct) =>
        Data<IReadOnlyList<TelnyxRecording>>(await SendAsync(HttpMethod.Get,
            $"/v2/recordings?filter%5Bcall_control_id%5D={Uri.EscapeDataString(callControlId)}", null, ct)) ?? [];

    /// <summary>The JSON body of Dial, as sent: the record's members in declaration order, nulls left out.</summary>
    public static string DialBody(TelnyxDialRequest dial) => JsonSerializer.Serialize(dial, Json);

    private Task<string> SendAsync(HttpMethod method, string pathAndQuery, string? json, CancellationToken ct)
    {
        var o = Options;
        var uri = new Uri(o.BaseUrl.TrimEnd('/') + pathAndQuery, UriKind.Absolute);
        var auth = new AuthenticationHeaderValue("Bearer", o.ApiKey);
        return ProviderHttp.SendAsync(http, () =>
        {
            var request = new HttpRequestMessage(method, uri);
            request.Headers.Authorization = auth;
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }
            return request;
        }, "Telnyx", o.RequestTimeout, o.MaxRetries, o.MaxRetryDelay, clock, Error, ct);
    }

    private static TelnyxApiException Error(HttpResponseMessage response, string body, TimeSpan? retryAfter)
    {
        TelnyxError? first = null;
        try
        {
            first = JsonSerializer.Deserialize<TelnyxErrorBody>(body)?.Errors is { Count: > 0 } errors ? errors[0] : null;
        }
        catch (JsonException)
        {
            // Not Telnyx's error JSON (a proxy's page, a mock's problem document): keep the raw text below.
        }
        var message = first is not null
            ? string.Join(": ", new[] { first.Title, first.Detail }.Where(t => !string.IsNullOrWhiteSpace(t)))
            : string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? "" : body.Length > 500 ? body[..500] : body;
        var code = int.TryParse(first?.Code, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : (int?)null;
        return new TelnyxApiException((int)response.StatusCode, code, message, first?.Source?.Pointer, retryAfter);
    }

    private static T Data<T>(string body) =>
        Parse<TelnyxData<T>>(body).Data ?? throw new InvalidDataException("Telnyx answered without a 'data' member.");

    private static T Parse<T>(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new InvalidDataException("Telnyx answered an empty JSON body.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Telnyx answered JSON that does not match its schema: {e.Message}", e);
        }
    }
}
