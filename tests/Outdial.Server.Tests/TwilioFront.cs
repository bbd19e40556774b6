using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Outdial.Tests.Shared;

namespace Outdial.Server.Tests;

/// <summary>One request Outdial sent to "Twilio", with the mock's verdict.</summary>
/// <param name="Form">The form fields in the order sent (repeated keys kept).</param>
/// <param name="MockStatus">What the spec-validating mock answered (422 when the request broke Twilio's spec).</param>
public sealed record TwilioRequest(string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Form, string? Authorization, int MockStatus)
{
    /// <summary>When the front received it (UTC).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The first value of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => Form.FirstOrDefault(kv => kv.Key == key).Value;
}

/// <summary>
/// Twilio as the end-to-end tests see it: every request is forwarded to the Prism mock of Twilio's official OpenAPI spec
/// (which rejects requests that break the spec), and its answer is returned with the state of a simulated Twilio
/// account laid over it. The mock alone answers every create with the spec's one example SID and every fetch with the
/// example's status; this front gives each created call its own SID (as Twilio does) and lets a test set what Twilio
/// "knows" about a call (<see cref="SetState"/>), which the reconciler then reads through <c>GET .../Calls/{Sid}.json</c>.
/// Nothing Outdial sends bypasses the mock's validation.
/// </summary>
public sealed class TwilioFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _mock;
    private readonly ConcurrentDictionary<string, JsonObject> _calls = new(StringComparer.Ordinal);

    private TwilioFront(WebApplication app, HttpClient mock)
    {
        _app = app;
        _mock = mock;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Where Outdial's <c>Outdial:Twilio:BaseUrl</c> points.</summary>
    public string BaseUrl { get; }

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<TwilioRequest> Requests { get; } = new();

    /// <summary>The SIDs handed out, in creation order, with the create request's form.</summary>
    public ConcurrentQueue<(string Sid, TwilioRequest Request)> Created { get; } = new();

    /// <summary>
    /// Makes the next create-call answer <paramref name="status"/> with Twilio's error body (after the mock has validated
    /// the request), e.g. 401 / 20003 for bad credentials or 400 / 21211 for an invalid <c>To</c>.
    /// </summary>
    public void FailNextCreate(int status, int code, string message) =>
        Volatile.Write(ref _failNext, new Failure(status,
            $$"""{"code": {{code}}, "message": "{{message}}", "more_info": "https://www.twilio.com/docs/errors/{{code}}", "status": {{status}}}"""));

    /// <summary>
    /// Lets the next create-call through to the mock and creates the call (as Twilio would), but answers Outdial with
    /// <paramref name="status"/> instead: the answer to a request that did reach Twilio is lost (a 5xx from a proxy, a
    /// dropped connection), so Outdial cannot know the call exists.
    /// </summary>
    public void LoseNextCreateAnswer(int status) => Volatile.Write(ref _loseNext, status);

    private int _loseNext;

    private sealed record Failure(int Status, string Body);

    private Failure? _failNext;

    private readonly ConcurrentDictionary<string, (string Sid, string Status)[]> _recordings = new(StringComparer.Ordinal);

    /// <summary>
    /// The recordings <c>GET .../Calls/{sid}/Recordings.json</c> lists for call <paramref name="sid"/> (each the spec's
    /// example with this SID and status); without this, the mock's example (one completed recording) is answered.
    /// </summary>
    public void SetRecordings(string sid, params (string Sid, string Status)[] recordings) => _recordings[sid] = recordings;

    /// <summary>Sets fields of the simulated call (e.g. <c>status</c>, <c>answered_by</c>, <c>duration</c>, <c>end_time</c>).</summary>
    public void SetState(string sid, params (string Field, string? Value)[] fields)
    {
        var call = _calls.GetOrAdd(sid, _ => []);
        lock (call)
        {
            foreach (var (field, value) in fields)
            {
                call[field] = value;
            }
        }
    }

    public static async Task<TwilioFront> StartAsync(string mockUrl)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var mock = new HttpClient { BaseAddress = new Uri(mockUrl), Timeout = TimeSpan.FromSeconds(30) };
        TwilioFront? front = null;
        app.Run(context => front!.HandleAsync(context));
        await app.StartAsync();
        front = new TwilioFront(app, mock);
        return front;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var form = body.Length == 0 ? [] : body.Split('&').Select(pair =>
        {
            var i = pair.IndexOf('=');
            return new KeyValuePair<string, string>(Uri.UnescapeDataString((i < 0 ? pair : pair[..i]).Replace('+', ' ')),
                i < 0 ? "" : Uri.UnescapeDataString(pair[(i + 1)..].Replace('+', ' ')));
        }).ToList();

        var receivedAt = DateTimeOffset.UtcNow;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.Headers.Authorization.Count > 0)
        {
            forward.Headers.Authorization = AuthenticationHeaderValue.Parse(request.Headers.Authorization.ToString());
        }
        if (body.Length > 0 || HttpMethods.IsPost(request.Method))
        {
            forward.Content = new StringContent(body);
            forward.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType ?? "application/x-www-form-urlencoded");
        }
        using var answer = await _mock.SendAsync(forward);
        var text = await answer.Content.ReadAsStringAsync();
        var seen = new TwilioRequest(request.Method, request.Path, form, request.Headers.Authorization.ToString(), (int)answer.StatusCode) { At = receivedAt };
        Requests.Enqueue(seen);

        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString() ?? "application/json";
        if (!answer.IsSuccessStatusCode || JsonNode.Parse(text) is not JsonObject json || !request.Path.Value!.Contains("/Calls", StringComparison.Ordinal))
        {
            await context.Response.WriteAsync(text);
            return;
        }
        var path = request.Path.Value!;
        if (HttpMethods.IsPost(request.Method) && path.EndsWith("/Calls.json", StringComparison.Ordinal) && Interlocked.Exchange(ref _failNext, null) is { } fail)
        {
            context.Response.StatusCode = fail.Status;
            await context.Response.WriteAsync(fail.Body);
            return;
        }
        if (HttpMethods.IsPost(request.Method) && path.EndsWith("/Calls.json", StringComparison.Ordinal))
        {
            // A new call: its own SID, queued, with the numbers asked for.
            var sid = "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            SetState(sid, ("sid", sid), ("status", "queued"), ("to", seen["To"]), ("from", seen["From"]), ("direction", "outbound-api"),
                ("answered_by", null), ("duration", null), ("start_time", null), ("end_time", null),
                ("date_created", TwilioMock.Rfc2822(DateTimeOffset.UtcNow)));
            Created.Enqueue((sid, seen));
            if (Interlocked.Exchange(ref _loseNext, 0) is > 0 and var lost)
            {
                context.Response.StatusCode = lost;
                await context.Response.WriteAsync("""{"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}""");
                return;
            }
            Overlay(json, sid);
        }
        else if (HttpMethods.IsGet(request.Method) && path.EndsWith("/Calls.json", StringComparison.Ordinal))
        {
            // The account's calls filtered as Twilio filters them (To, From), newest first, in the spec's page shape.
            var to = request.Query["To"].ToString();
            var from = request.Query["From"].ToString();
            var page = new JsonArray();
            foreach (var (sid, _) in Created.Reverse())
            {
                var call = _calls[sid];
                lock (call)
                {
                    if ((to.Length == 0 || (string?)call["to"] == to) && (from.Length == 0 || (string?)call["from"] == from))
                    {
                        var item = (JsonObject)((JsonArray)json["calls"]!)[0]!.DeepClone();
                        foreach (var (field, value) in call)
                        {
                            item[field] = value?.DeepClone();
                        }
                        page.Add(item);
                    }
                }
            }
            json["calls"] = page;
            json["next_page_uri"] = null;
        }
        else if (path.EndsWith("/Recordings.json", StringComparison.Ordinal) && path.Split('/')[^2] is var callSid
            && _recordings.TryGetValue(callSid, out var recordings))
        {
            var example = ((JsonArray)json["recordings"]!)[0]!;
            json["recordings"] = new JsonArray([.. recordings.Select(r =>
            {
                var item = (JsonObject)example.DeepClone();
                item["sid"] = r.Sid;
                item["call_sid"] = callSid;
                item["status"] = r.Status;
                return (JsonNode)item;
            })]);
        }
        else if (path.Split('/')[^1] is var leaf && leaf.StartsWith("CA", StringComparison.Ordinal) && leaf.EndsWith(".json", StringComparison.Ordinal))
        {
            var sid = leaf[..^".json".Length];
            if (!_calls.ContainsKey(sid))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync($$"""{"code": 20404, "message": "The requested resource /Calls/{{sid}}.json was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}""");
                return;
            }
            if (HttpMethods.IsPost(request.Method) && seen["Status"] is { } status)
            {
                SetState(sid, ("status", status), ("end_time", TwilioMock.Rfc2822(DateTimeOffset.UtcNow)));
            }
            Overlay(json, sid);
        }
        await context.Response.WriteAsync(json.ToJsonString());
    }

    private void Overlay(JsonObject json, string sid)
    {
        var call = _calls[sid];
        lock (call)
        {
            foreach (var (field, value) in call)
            {
                json[field] = value?.DeepClone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _mock.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
