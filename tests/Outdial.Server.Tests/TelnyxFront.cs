using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;

namespace Outdial.Server.Tests;

/// <summary>One request Outdial sent to "Telnyx", with the mock's verdict (422 when it broke Telnyx's spec).</summary>
public sealed record TelnyxRequest(string Method, string Path, JsonObject? Body, string? Authorization, int MockStatus);

/// <summary>
/// Telnyx as the server tests see it: every request is forwarded to the Prism mock of Telnyx's official OpenAPI spec (which
/// rejects requests that break the spec) and its answer returned with a simulated account laid over it: each Dial gets its
/// own <c>call_control_id</c>, and <c>GET /v2/calls/{id}</c> answers what a test set with <see cref="SetState"/> (404 for an
/// id never handed out). Also signs webhooks as Telnyx does, with a test Ed25519 key.
/// </summary>
public sealed class TelnyxFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _mock;
    private readonly ConcurrentDictionary<string, JsonObject> _calls = new(StringComparer.Ordinal);

    /// <summary>The key "Telnyx" signs webhooks with; its public half is <see cref="PublicKey"/>.</summary>
    public static readonly Key SigningKey = Key.Create(SignatureAlgorithm.Ed25519);

    /// <summary>Base64 of the public key, for <c>Outdial:Telnyx:PublicKey</c>.</summary>
    public static string PublicKey => Convert.ToBase64String(SigningKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    private TelnyxFront(WebApplication app, HttpClient mock)
    {
        _app = app;
        _mock = mock;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Where Outdial's <c>Outdial:Telnyx:BaseUrl</c> points.</summary>
    public string BaseUrl { get; }

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<TelnyxRequest> Requests { get; } = new();

    /// <summary>The call control ids handed out, in order, with the Dial request.</summary>
    public ConcurrentQueue<(string Id, TelnyxRequest Request)> Created { get; } = new();

    private string? _failNext;

    /// <summary>Makes the next Dial (after the mock validated it) answer HTTP <paramref name="status"/> with Telnyx's error body for <paramref name="code"/>.</summary>
    public void FailNextDial(int status, int code, string title) =>
        Volatile.Write(ref _failNext, $"{status}|{{\"errors\":[{{\"code\":\"{code}\",\"title\":\"{title}\",\"detail\":\"{title}.\"}}]}}");

    /// <summary>Sets fields of the simulated call (e.g. <c>is_alive</c>, <c>end_time</c>, <c>call_duration</c>).</summary>
    public void SetState(string id, params (string Field, JsonNode? Value)[] fields)
    {
        var call = _calls.GetOrAdd(id, _ => []);
        lock (call)
        {
            foreach (var (field, value) in fields)
            {
                call[field] = value?.DeepClone();
            }
        }
    }

    /// <summary>The headers Telnyx sends with <paramref name="body"/> signed at <paramref name="at"/> (default now).</summary>
    public static (string Signature, string Timestamp) Sign(string body, DateTimeOffset? at = null, Key? key = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = SignatureAlgorithm.Ed25519.Sign(key ?? SigningKey, Encoding.UTF8.GetBytes($"{timestamp}|{body}"));
        return (Convert.ToBase64String(signature), timestamp);
    }

    public static async Task<TelnyxFront> StartAsync(string mockUrl)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var mock = new HttpClient { BaseAddress = new Uri(mockUrl), Timeout = TimeSpan.FromSeconds(30) };
        TelnyxFront? front = null;
        app.Run(context => front!.HandleAsync(context));
        await app.StartAsync();
        front = new TelnyxFront(app, mock);
        return front;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.Headers.Authorization.Count > 0)
        {
            forward.Headers.Authorization = AuthenticationHeaderValue.Parse(request.Headers.Authorization.ToString());
        }
        if (body.Length > 0)
        {
            forward.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var answer = await _mock.SendAsync(forward);
        var text = await answer.Content.ReadAsStringAsync();
        var seen = new TelnyxRequest(request.Method, request.Path.Value!, body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null,
            request.Headers.Authorization.ToString(), (int)answer.StatusCode);
        Requests.Enqueue(seen);
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = "application/json";
        var path = request.Path.Value!;
        if (!answer.IsSuccessStatusCode || JsonNode.Parse(text) is not JsonObject json || json["data"] is not JsonObject data)
        {
            await context.Response.WriteAsync(text);
            return;
        }
        if (HttpMethods.IsPost(request.Method) && path == "/v2/calls" && Interlocked.Exchange(ref _failNext, null) is { } fail)
        {
            context.Response.StatusCode = int.Parse(fail[..fail.IndexOf('|', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync(fail[(fail.IndexOf('|', StringComparison.Ordinal) + 1)..]);
            return;
        }
        if (HttpMethods.IsPost(request.Method) && path == "/v2/calls")
        {
            var id = "v3:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            SetState(id, ("call_control_id", id), ("is_alive", false), ("client_state", seen.Body?["client_state"]?.DeepClone()),
                ("start_time", DateTimeOffset.UtcNow.ToString("O")), ("end_time", null), ("call_duration", null));
            Created.Enqueue((id, seen));
            Overlay(data, id);
        }
        else if (HttpMethods.IsGet(request.Method) && path.StartsWith("/v2/calls/", StringComparison.Ordinal) && path.Count(c => c == '/') == 3)
        {
            var id = Uri.UnescapeDataString(path["/v2/calls/".Length..]);
            if (!_calls.ContainsKey(id))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("""{"errors":[{"code":"10005","title":"Resource not found","detail":"The requested resource or URL could not be found."}]}""");
                return;
            }
            Overlay(data, id);
        }
        await context.Response.WriteAsync(json.ToJsonString());
    }

    private void Overlay(JsonObject data, string id)
    {
        var call = _calls[id];
        lock (call)
        {
            foreach (var (field, value) in call)
            {
                data[field] = value?.DeepClone();
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
