using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Outdial.Telephony.Plivo;
using Outdial.Tests.Shared;

namespace Outdial.Server.Tests;

/// <summary>One request Outdial sent to "Plivo": method, path and query, Authorization and JSON body (null for none).</summary>
public sealed record PlivoRequest(string Method, string PathAndQuery, string? Authorization, JsonObject? Body);

/// <summary>One call the simulated Plivo account holds.</summary>
public sealed class PlivoCall
{
    public required string RequestUuid { get; init; }
    public required string CallUuid { get; init; }
    public required JsonObject Create { get; init; }
    /// <summary><c>queued</c>, <c>ringing</c>, <c>in-progress</c> (live) or <c>ended</c> (a call detail record exists).</summary>
    public string State { get; set; } = "queued";
    /// <summary>The call detail record's fields once ended (Plivo "Retrieve a call").</summary>
    public JsonObject? Record { get; set; }

    /// <summary>The recordings "List all recordings" answers for this call (<c>recording_id</c>, <c>recording_url</c>, <c>add_time</c>).</summary>
    public List<JsonObject> Recordings { get; } = [];
}

/// <summary>
/// Plivo's Voice API as the end-to-end tests see it, on loopback: it checks Basic credentials and the JSON of "Make a call"
/// (<c>from</c>, <c>to</c>, <c>answer_url</c> required; 400 with Plivo's <c>{"api_id", "error"}</c> otherwise), gives each call
/// its own request and call UUIDs, and answers hang-up, cancel, retrieve (record or live), list and transfer from the
/// state a test sets (<see cref="End"/>, <see cref="Answer"/>), as Plivo documents them. The request shapes themselves are
/// checked against the official npm library in Outdial.Telephony.Tests (PlivoRequestTests).
/// </summary>
public sealed class PlivoFront : IAsyncDisposable
{
    public const string AuthId = "MAOUTDIALTEST0000001";
    public const string AuthToken = "plivo-e2e-token";

    private LoopbackServer? _server;
    private FailBox? _failNext;

    /// <summary>Where Outdial's <c>Outdial:Plivo:BaseUrl</c> points.</summary>
    public string BaseUrl => _server!.BaseUrl;

    public ConcurrentQueue<PlivoRequest> Requests { get; } = new();

    /// <summary>Calls in creation order.</summary>
    public ConcurrentQueue<PlivoCall> Calls { get; } = new();

    /// <summary>The next "Make a call" is answered <paramref name="status"/> with Plivo's error body.</summary>
    public void FailNextCreate(int status, string error) => Volatile.Write(ref _failNext, new FailBox(status, error));

    /// <summary>The call is live and answered (Plivo "Retrieve a live call" answers it <c>in-progress</c>).</summary>
    public static void Answer(PlivoCall call) => call.State = "in-progress";

    /// <summary>The call has ended with a call detail record of these fields (e.g. <c>hangup_cause_code</c>, <c>call_duration</c>).</summary>
    public static void End(PlivoCall call, JsonObject record)
    {
        record["call_uuid"] = call.CallUuid;
        call.Record = record;
        call.State = "ended";
    }

    public static async Task<PlivoFront> StartAsync()
    {
        var front = new PlivoFront();
        front._server = await LoopbackServer.StartAsync(front.HandleAsync);
        return front;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync();
        var body = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
        Requests.Enqueue(new PlivoRequest(request.Method, request.Path + request.QueryString, request.Headers.Authorization.ToString(), body));
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthId}:{AuthToken}"));
        var prefix = $"/v1/Account/{AuthId}/";
        var path = request.Path.Value ?? "";
        if (request.Headers.Authorization.ToString() != basic)
        {
            await AnswerAsync(context, 401, """{"api_id": "e1", "error": "authentication failed"}""");
            return;
        }
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            await AnswerAsync(context, 404, """{"api_id": "e2", "error": "not found"}""");
            return;
        }
        var rest = path[prefix.Length..];
        var live = request.Query["status"] == "live";
        switch (request.Method, rest)
        {
            case ("POST", "Call/"):
                await CreateAsync(context, body);
                return;
            case ("DELETE", _) when rest.StartsWith("Call/", StringComparison.Ordinal):
                await EndByAsync(context, c => c.CallUuid == Id(rest) && c.State is "ringing" or "in-progress");
                return;
            case ("DELETE", _) when rest.StartsWith("Request/", StringComparison.Ordinal):
                await EndByAsync(context, c => c.RequestUuid == Id(rest) && c.State is "queued" or "ringing");
                return;
            case ("GET", "Call/") when live:
                var ids = Calls.Where(c => c.State is "ringing" or "in-progress").Select(c => (JsonNode)c.CallUuid);
                await AnswerAsync(context, 200, new JsonObject { ["api_id"] = "l1", ["calls"] = new JsonArray([.. ids]) }.ToJsonString());
                return;
            case ("GET", "Recording/"):
                var listed = Calls.Where(c => c.CallUuid == request.Query["call_uuid"]).SelectMany(c => c.Recordings).Select(r => r.DeepClone());
                await AnswerAsync(context, 200, new JsonObject { ["api_id"] = "r1", ["objects"] = new JsonArray([.. listed]) }.ToJsonString());
                return;
            case ("GET", "Call/"):
                var records = Calls.Where(c => c.Record is not null).Select(c => c.Record!.DeepClone());
                await AnswerAsync(context, 200, new JsonObject { ["api_id"] = "l2", ["objects"] = new JsonArray([.. records]) }.ToJsonString());
                return;
            case ("GET", _) when Calls.FirstOrDefault(c => c.CallUuid == Id(rest)) is { } call:
                if (live && call.State is "ringing" or "in-progress")
                {
                    await AnswerAsync(context, 200, new JsonObject
                    {
                        ["api_id"] = "g1", ["call_uuid"] = call.CallUuid, ["request_uuid"] = call.RequestUuid, ["call_status"] = call.State,
                        ["from"] = (string?)call.Create["from"], ["to"] = (string?)call.Create["to"], ["direction"] = "outbound",
                    }.ToJsonString());
                }
                else if (!live && call.Record is { } record)
                {
                    await AnswerAsync(context, 200, record.ToJsonString());
                }
                else
                {
                    await AnswerAsync(context, 404, """{"api_id": "e3", "error": "call not found"}""");
                }
                return;
            case ("POST", _) when Calls.FirstOrDefault(c => c.CallUuid == Id(rest) && c.State == "in-progress") is not null:
                await AnswerAsync(context, 202, """{"api_id": "t1", "message": "call transferred"}""");
                return;
            default:
                await AnswerAsync(context, 404, """{"api_id": "e4", "error": "not found"}""");
                return;
        }
    }

    private static string Id(string rest) => rest.Split('/')[1];

    private async Task CreateAsync(HttpContext context, JsonObject? body)
    {
        if (Interlocked.Exchange(ref _failNext, null) is { } fail)
        {
            await AnswerAsync(context, fail.Status, new JsonObject { ["api_id"] = "f1", ["error"] = fail.Error }.ToJsonString());
            return;
        }
        if (body is null || new[] { "from", "to", "answer_url" }.Any(k => string.IsNullOrEmpty((string?)body[k])))
        {
            await AnswerAsync(context, 400, """{"api_id": "e5", "error": "from, to and answer_url are required"}""");
            return;
        }
        var call = new PlivoCall { RequestUuid = Guid.NewGuid().ToString(), CallUuid = Guid.NewGuid().ToString(), Create = body };
        Calls.Enqueue(call);
        await AnswerAsync(context, 201, new JsonObject { ["api_id"] = "c1", ["message"] = "call fired", ["request_uuid"] = call.RequestUuid }.ToJsonString());
    }

    private async Task EndByAsync(HttpContext context, Func<PlivoCall, bool> match)
    {
        if (Calls.FirstOrDefault(match) is not { } call)
        {
            await AnswerAsync(context, 404, """{"api_id": "e6", "error": "call not found"}""");
            return;
        }
        End(call, new JsonObject { ["hangup_cause_code"] = call.State == "in-progress" ? 4000 : 1000, ["hangup_source"] = "API Request" });
        context.Response.StatusCode = 204;
    }

    private static async Task AnswerAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    private sealed record FailBox(int Status, string Error);

    public async ValueTask DisposeAsync() => await _server!.DisposeAsync();

    /// <summary>Posts <paramref name="form"/> to <paramref name="path"/> on <paramref name="host"/> as Plivo does, signed (X-Plivo-Signature-V3 over the public URL) unless told otherwise.</summary>
    public static async Task<HttpResponseMessage> PostSignedAsync(OutdialHost host, string path, IEnumerable<KeyValuePair<string, string>> form,
        string? signUrl = null, string? nonce = null, bool sign = true, string token = AuthToken)
    {
        var pairs = form.ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, path)) { Content = new FormUrlEncodedContent(pairs) };
        if (sign)
        {
            var n = nonce ?? Guid.NewGuid().ToString("N")[..20];
            request.Headers.Add(PlivoSignature.NonceHeader, n);
            request.Headers.Add(PlivoSignature.Header,
                PlivoSignature.Compute(token, "POST", signUrl ?? PlivoEndToEndTests.PublicBase + path, pairs, n));
        }
        using var client = host.NewClient(null);
        return await client.SendAsync(request);
    }
}
