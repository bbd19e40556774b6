using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Outdial.Server.Tests;

/// <summary>One webhook as it arrived: headers (lower-case names), the exact body, and the receiver's wall-clock time.</summary>
public sealed record ReceivedWebhook(string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public string Id => Headers["webhook-id"];

    public JsonNode Json => JsonNode.Parse(Body)!;

    public string Type => (string)Json["type"]!;

    public string CallId => (string)Json["data"]!["id"]!;

    public long Sequence => (long)Json["data"]!["sequence"]!;
}

/// <summary>
/// A real HTTP receiver on loopback (Kestrel, port 0) that records every webhook. <see cref="Respond"/> decides the answer:
/// a status code, or null to drop the connection without answering (the receiver is "down").
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public Uri BaseAddress { get; }

    /// <summary>Every request that reached the receiver, answered or not.</summary>
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>Requests answered with a 2xx status, in arrival order.</summary>
    public ConcurrentQueue<ReceivedWebhook> Accepted { get; } = new();

    /// <summary>The answer to the next request: a status code, or null to abort the connection. Default 204.</summary>
    public Func<HttpContext, int?> Respond { get; set; } = _ => 204;

    /// <summary>How long the receiver takes before answering (a slow endpoint keeps deliveries in flight).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Extra response headers by status (e.g. Retry-After, Location).</summary>
    public Action<HttpContext>? Decorate { get; set; }

    public string Url(string path = "/hook") => new Uri(BaseAddress, path).ToString();

    public static async Task<WebhookReceiver> StartAsync(string host = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{host}:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
            var received = new ReceivedWebhook(context.Request.Path, headers, body, DateTimeOffset.UtcNow);
            receiver!.Received.Enqueue(received);
            if (receiver.Latency > TimeSpan.Zero)
            {
                await Task.Delay(receiver.Latency);
            }
            var status = receiver.Respond(context);
            if (status is not { } code)
            {
                context.Abort();
                return;
            }
            if (code is >= 200 and < 300)
            {
                receiver.Accepted.Enqueue(received);
            }
            context.Response.StatusCode = code;
            receiver.Decorate?.Invoke(context);
            await context.Response.WriteAsync(code is >= 200 and < 300 ? "thanks" : "not now");
        });
        await app.StartAsync();
        receiver = new WebhookReceiver(app);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
