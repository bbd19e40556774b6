using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>One request the capture server received: method, path, query (decoded), Authorization, Content-Type and raw body.</summary>
public sealed record PlivoCaptured(string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Authorization, string? ContentType,
    string Body);

/// <summary>
/// A stand-in for <c>api.plivo.com</c> on loopback (Kestrel): records every request and answers each Voice API route the
/// way Plivo documents it (create 201 with a request UUID, hang-up and cancel 204, retrieve a call detail record or a live
/// call 200, lists 200, transfer 202), so both Outdial's client and the npm library complete their calls against it.
/// </summary>
public sealed class PlivoCaptureServer : IAsyncDisposable
{
    private LoopbackServer? _server;

    /// <summary>Where the clients point (<c>http://127.0.0.1:port</c>).</summary>
    public string BaseUrl => _server!.BaseUrl;

    /// <summary>Every request, in order.</summary>
    public ConcurrentQueue<PlivoCaptured> Requests { get; } = new();

    /// <summary>Takes and clears the requests received so far.</summary>
    public List<PlivoCaptured> Take()
    {
        var taken = new List<PlivoCaptured>();
        while (Requests.TryDequeue(out var r))
        {
            taken.Add(r);
        }
        return taken;
    }

    public static async Task<PlivoCaptureServer> StartAsync()
    {
        var capture = new PlivoCaptureServer();
        capture._server = await LoopbackServer.StartAsync(capture.HandleAsync);
        return capture;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        Requests.Enqueue(new PlivoCaptured(request.Method, request.Path.Value ?? "", query, request.Headers.Authorization.ToString(),
            request.ContentType, body));
        var path = request.Path.Value ?? "";
        var (status, json) = (request.Method, path.EndsWith("/Call/", StringComparison.Ordinal), query.GetValueOrDefault("status")) switch
        {
            ("GET", false, _) when path.EndsWith("/Recording/", StringComparison.Ordinal) => (200, """{"api_id": "r1", "meta": {"count": 2}, "objects": [{"recording_id": "r-old", "recording_url": "https://media.plivo.com/v1/Account/x/Recording/r-old.mp3", "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8", "add_time": "2026-11-21 12:00:40.000000+00:00"}, {"recording_id": "r-new", "recording_url": "https://media.plivo.com/v1/Account/x/Recording/r-new.mp3", "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8", "add_time": "2026-11-21 12:01:40.000000+00:00"}]}"""),
            ("POST", true, _) => (201, """{"api_id": "a1", "message": "call fired", "request_uuid": "9834029e-58b6-11e1-b8b7-a5bd0e4e126f"}"""),
            ("DELETE", _, _) => (204, ""),
            ("POST", false, _) => (202, """{"api_id": "a2", "message": "call transferred"}"""),
            ("GET", true, "live") => (200, """{"api_id": "a3", "calls": ["eba53b9e-8fbd-45c1-9444-696d2172fbc8"]}"""),
            ("GET", true, _) => (200, """{"api_id": "a4", "meta": {"count": 0, "limit": 20, "next": null, "offset": 0, "previous": null}, "objects": []}"""),
            ("GET", false, "live") => (200, """{"api_id": "a5", "call_status": "in-progress", "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8", "direction": "outbound", "from": "15550000100", "to": "15551234567", "request_uuid": "9834029e-58b6-11e1-b8b7-a5bd0e4e126f", "session_start": "2026-11-21 12:00:05"}"""),
            _ => (200, """{"api_id": "a6", "answer_time": "2026-11-21 12:00:05+00:00", "bill_duration": 60, "call_direction": "outbound", "call_duration": 42, "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8", "end_time": "2026-11-21 12:00:47+00:00", "from_number": "+15550000100", "hangup_cause_code": 4000, "hangup_cause_name": "Normal Hangup", "hangup_source": "Callee", "initiation_time": "2026-11-21 12:00:00+00:00", "to_number": "15551234567"}"""),
        };
        context.Response.StatusCode = status;
        if (json.Length > 0)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json);
        }
    }

    public async ValueTask DisposeAsync() => await _server!.DisposeAsync();
}

/// <summary>
/// Runs the <c>tests/js/plivo-*.mjs</c> scripts, which use the official <c>plivo</c> npm library (version pinned in
/// <c>tests/js/package-lock.json</c>). Missing node or packages fail loudly.
/// </summary>
public static class PlivoNode
{
    /// <summary>Has the library send <paramref name="ops"/> (see plivo-requests.mjs) to <paramref name="baseUrl"/>; each op's success.</summary>
    public static async Task<IReadOnlyList<JsonNode?>> SendAsync(string baseUrl, string authId, string authToken, params JsonObject[] ops)
    {
        var input = new JsonObject { ["baseUrl"] = baseUrl, ["authId"] = authId, ["authToken"] = authToken, ["ops"] = new JsonArray([.. ops]) };
        return await ResultsAsync("plivo-requests.mjs", input);
    }

    /// <summary>The library's <c>validateV3Signature</c> verdict for each case (method, url, nonce, authToken, signature, params).</summary>
    public static async Task<IReadOnlyList<bool>> VerifyAsync(params JsonObject[] cases) =>
        [.. (await ResultsAsync("plivo-verify.mjs", new JsonObject { ["cases"] = new JsonArray([.. cases]) })).Select(r => (bool)r!)];

    /// <summary>The library's <c>Response</c> XML for each case (text, voice, language, recordCallbackUrl, maxLength; text null: hang up only).</summary>
    public static async Task<IReadOnlyList<string>> XmlAsync(params JsonObject[] cases) =>
        [.. (await ResultsAsync("plivo-xml.mjs", new JsonObject { ["cases"] = new JsonArray([.. cases]) })).Select(r => (string)r!)];

    private static async Task<IReadOnlyList<JsonNode?>> ResultsAsync(string script, JsonObject input)
    {
        var answer = await NodeScript.RunJsonAsync(script, "plivo", input);
        return answer["results"] is JsonArray results ? [.. results] : throw NodeScript.Malformed(script, answer);
    }
}
