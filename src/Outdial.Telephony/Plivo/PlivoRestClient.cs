using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// Typed client of Plivo's Voice API v1 (<c>{BaseUrl}/v1/Account/{auth_id}/...</c>) over <see cref="HttpClient"/> (Plivo's SDK
/// is not used). Paths, JSON field names and bodies are those the official npm library <c>plivo</c> 4.79.0 sends for the
/// same arguments (<c>dist/resources/call.js</c>, <c>dist/rest/axios.js</c>: HTTP Basic AuthId:AuthToken, JSON bodies,
/// snake_case keys); the tests compare both on one capture server. Each exchange is limited to
/// <see cref="PlivoOptions.RequestTimeout"/> (then <see cref="TimeoutException"/>); a non-2xx answer becomes
/// <see cref="PlivoApiException"/> (no automatic retry: the dispatcher paces below <see cref="PlivoOptions.CallsPerSecond"/>,
/// and a dial whose answer is unknown is left to the reconciler). Network failures surface as <see cref="HttpRequestException"/>.
/// </summary>
/// <param name="http">Used as is; its own Timeout should be infinite (the client applies RequestTimeout itself). Not disposed.</param>
public sealed class PlivoRestClient(HttpClient http, IOptions<PlivoOptions> options)
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private PlivoOptions Options => options.Value;

    private string AccountPath => $"/v1/Account/{Uri.EscapeDataString(Options.AuthId)}";

    /// <summary>The longest one request may take (RequestTimeout): a call created by a request started at T exists by T plus this.</summary>
    public TimeSpan MaxRequestSpan => Options.RequestTimeout;

    /// <summary>"Make a call": <c>POST /v1/Account/{auth_id}/Call/</c>. Plivo answers 201 with the request UUID.</summary>
    /// <exception cref="PlivoApiException">Plivo refused the request (4xx) or failed (5xx).</exception>
    /// <exception cref="TimeoutException">No answer within RequestTimeout: whether the call exists is unknown.</exception>
    /// <exception cref="InvalidDataException">Plivo answered 2xx without a <c>request_uuid</c>.</exception>
    public async Task<PlivoCreateCallResponse> CreateCallAsync(PlivoCreateCall call, CancellationToken ct)
    {
        var answer = Parse<PlivoCreateCallResponse>(await SendAsync(HttpMethod.Post, $"{AccountPath}/Call/", CreateCallBody(call), ct));
        return string.IsNullOrEmpty(answer.RequestUuid)
            ? throw new InvalidDataException("Plivo accepted the call but answered no request_uuid.")
            : answer;
    }

    /// <summary>"Hang up a call": <c>DELETE /v1/Account/{auth_id}/Call/{call_uuid}/</c> (Plivo answers 204). False when Plivo answers 404 (no such live call).</summary>
    /// <exception cref="PlivoApiException">Any other error status.</exception>
    public Task<bool> HangUpCallAsync(string callUuid, CancellationToken ct) =>
        DeleteAsync($"{AccountPath}/Call/{Uri.EscapeDataString(callUuid)}/", ct);

    /// <summary>"Cancel a queued call" (a call not yet answered): <c>DELETE /v1/Account/{auth_id}/Request/{request_uuid}/</c>. False on 404.</summary>
    /// <exception cref="PlivoApiException">Any other error status.</exception>
    public Task<bool> CancelRequestAsync(string requestUuid, CancellationToken ct) =>
        DeleteAsync($"{AccountPath}/Request/{Uri.EscapeDataString(requestUuid)}/", ct);

    /// <summary>
    /// "Transfer a call": <c>POST /v1/Account/{auth_id}/Call/{call_uuid}/</c> with <c>{"legs": "aleg", "aleg_url", "aleg_method": "POST"}</c>:
    /// Plivo fetches new Plivo XML for the live call from <paramref name="alegUrl"/>.
    /// </summary>
    /// <exception cref="PlivoApiException">E.g. 404: the call is not live (any more).</exception>
    public async Task TransferAsync(string callUuid, string alegUrl, CancellationToken ct) =>
        await SendAsync(HttpMethod.Post, $"{AccountPath}/Call/{Uri.EscapeDataString(callUuid)}/",
            new JsonObject { ["legs"] = "aleg", ["aleg_url"] = alegUrl, ["aleg_method"] = "POST" }.ToJsonString(), ct);

    /// <summary>"Retrieve a call" (the call detail record of an ended call): <c>GET .../Call/{call_uuid}/</c>; null on 404 (not ended yet, or unknown).</summary>
    /// <exception cref="PlivoApiException">Any other error status.</exception>
    public Task<PlivoCallResource?> GetCallAsync(string callUuid, CancellationToken ct) =>
        GetOrNullAsync<PlivoCallResource>($"{AccountPath}/Call/{Uri.EscapeDataString(callUuid)}/", ct);

    /// <summary>"Retrieve a live call": <c>GET .../Call/{call_uuid}?status=live</c> (the library's form); null on 404 (not live).</summary>
    /// <exception cref="PlivoApiException">Any other error status.</exception>
    public Task<PlivoCallResource?> GetLiveCallAsync(string callUuid, CancellationToken ct) =>
        GetOrNullAsync<PlivoCallResource>($"{AccountPath}/Call/{Uri.EscapeDataString(callUuid)}?status=live", ct);

    /// <summary>
    /// "List all live calls" (<c>GET .../Call/?status=live</c>), narrowed to calls from <paramref name="from"/> to
    /// <paramref name="to"/> (Plivo's number form, no <c>+</c>: <c>&amp;from_number=...&amp;to_number=...</c>) when given; the call UUIDs.
    /// </summary>
    /// <exception cref="PlivoApiException">An error status.</exception>
    public async Task<IReadOnlyList<string>> ListLiveCallsAsync(string? from, string? to, CancellationToken ct)
    {
        var pairs = new List<(string, string)> { ("status", "live") };
        if (from is not null)
        {
            pairs.Add(("from_number", from));
        }
        if (to is not null)
        {
            pairs.Add(("to_number", to));
        }
        return Parse<PlivoLiveCallList>(await SendAsync(HttpMethod.Get, $"{AccountPath}/Call/?{Query([.. pairs])}", null, ct)).Calls ?? [];
    }

    /// <summary>
    /// "List all calls" (call detail records of ended calls) from <paramref name="from"/> to <paramref name="to"/> that ended at
    /// or after <paramref name="endedOnOrAfter"/> (UTC): <c>GET .../Call/?from_number&amp;to_number&amp;end_time__gte=yyyy-MM-dd HH:mm&amp;limit=20</c>.
    /// </summary>
    /// <exception cref="PlivoApiException">An error status.</exception>
    public async Task<IReadOnlyList<PlivoCallResource>> ListEndedCallsAsync(string from, string to, DateTimeOffset endedOnOrAfter, CancellationToken ct)
    {
        var query = Query(("from_number", from), ("to_number", to),
            ("end_time__gte", endedOnOrAfter.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)), ("limit", "20"));
        return Parse<PlivoCallList>(await SendAsync(HttpMethod.Get, $"{AccountPath}/Call/?{query}", null, ct)).Objects ?? [];
    }

    /// <summary>
    /// "List all recordings" of call <paramref name="callUuid"/> (https://www.plivo.com/docs/voice/api/recording/list-all-recordings):
    /// <c>GET .../Recording/?call_uuid=...</c>. Plivo lists a recording once its file is ready.
    /// </summary>
    /// <exception cref="PlivoApiException">An error status.</exception>
    public async Task<IReadOnlyList<PlivoRecording>> ListRecordingsAsync(string callUuid, CancellationToken ct) =>
        Parse<PlivoRecordingList>(await SendAsync(HttpMethod.Get, $"{AccountPath}/Recording/?{Query(("call_uuid", callUuid))}", null, ct)).Objects ?? [];

    /// <summary>
    /// The JSON body of "Make a call" with the npm library's keys for the same arguments (its <c>create(from, to, answerUrl,
    /// params)</c> sends the optional params first, then <c>from</c>, <c>to</c>, <c>answer_url</c>); null fields are left out;
    /// numbers are JSON numbers.
    /// </summary>
    public static string CreateCallBody(PlivoCreateCall c)
    {
        var body = new JsonObject();
        void Add(string key, JsonNode? value)
        {
            if (value is not null)
            {
                body[key] = value;
            }
        }
        Add("answer_method", c.AnswerMethod);
        Add("ring_url", c.RingUrl);
        Add("ring_method", c.RingMethod);
        Add("hangup_url", c.HangupUrl);
        Add("hangup_method", c.HangupMethod);
        Add("time_limit", c.TimeLimit);
        Add("ring_timeout", c.RingTimeout);
        Add("machine_detection", c.MachineDetection);
        Add("machine_detection_url", c.MachineDetectionUrl);
        Add("machine_detection_method", c.MachineDetectionMethod);
        Add("from", c.From);
        Add("to", c.To);
        Add("answer_url", c.AnswerUrl);
        return body.ToJsonString();
    }

    private static string Query(params (string Key, string Value)[] pairs) =>
        string.Join('&', pairs.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    private async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        try
        {
            // The library sends its (empty) params object as the JSON body of a DELETE too.
            await SendAsync(HttpMethod.Delete, path, "{}", ct);
            return true;
        }
        catch (PlivoApiException e) when (e.HttpStatus == 404)
        {
            return false;
        }
    }

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken ct) where T : class
    {
        try
        {
            return Parse<T>(await SendAsync(HttpMethod.Get, path, null, ct));
        }
        catch (PlivoApiException e) when (e.HttpStatus == 404)
        {
            return null;
        }
    }

    private async Task<string> SendAsync(HttpMethod method, string pathAndQuery, string? json, CancellationToken ct)
    {
        var o = Options;
        var uri = new Uri(o.BaseUrl.TrimEnd('/') + pathAndQuery, UriKind.Absolute);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AuthId}:{o.AuthToken}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            request.Content.Headers.ContentType = JsonType;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(o.RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return response.IsSuccessStatusCode ? body : throw new PlivoApiException((int)response.StatusCode, ErrorText(body, response.ReasonPhrase));
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Plivo did not answer {method} {uri.AbsolutePath} within {o.RequestTimeout.TotalSeconds} s.", e);
        }
    }

    /// <summary>Plivo's <c>error</c> (a string, or an object rendered as JSON), else the body (at most 500 characters), else the reason phrase.</summary>
    private static string ErrorText(string body, string? reason)
    {
        try
        {
            if (JsonSerializer.Deserialize<PlivoErrorBody>(body)?.Error is { } error)
            {
                return error.ValueKind == JsonValueKind.String ? error.GetString() ?? "" : error.GetRawText();
            }
        }
        catch (JsonException)
        {
            // Not Plivo's error JSON (a proxy's page): the raw text below.
        }
        return string.IsNullOrWhiteSpace(body) ? reason ?? "" : body.Length > 500 ? body[..500] : body;
    }

    private static T Parse<T>(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body) ?? throw new InvalidDataException("Plivo answered an empty JSON body.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Plivo answered JSON that does not match its {typeof(T).Name}: {e.Message}", e);
        }
    }
}
