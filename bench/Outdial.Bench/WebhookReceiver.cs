using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Outdial.Bench;

/// <summary>One webhook request as the receiver saw it: when it arrived and how long after its event.</summary>
/// <param name="ArrivedTicks">Arrival, as a <see cref="Stopwatch"/> timestamp.</param>
/// <param name="LagMs">Arrival (UTC wall clock) minus the payload's <c>timestamp</c> (the event's time), in milliseconds.</param>
public readonly record struct WebhookArrival(long ArrivedTicks, double LagMs);

/// <summary>
/// A minimal Kestrel app on a free loopback port that answers every <c>POST /hook/{n}</c> with 204 and records, per
/// request, its arrival time and the lag from the payload's event <c>timestamp</c>. Requests repeating a
/// (<c>/hook/{n}</c>, <c>webhook-id</c>) pair already seen are counted as duplicates (delivery is at least once) and
/// left out of the arrivals. Anything else is answered 404 and counted as rejected.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<WebhookArrival> _arrivals = new(capacity: 1 << 16);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private long _duplicates;
    private long _rejected;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Root address of the receiver, e.g. <c>http://127.0.0.1:41235/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Distinct deliveries received so far.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _arrivals.Count;
            }
        }
    }

    /// <summary>Requests that repeated a delivery already received (same path and <c>webhook-id</c>).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Requests answered 404: wrong method or path, or a body without a readable <c>timestamp</c>.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The URL to register as endpoint number <paramref name="n"/>.</summary>
    public Uri HookUrl(int n) => new(BaseAddress, $"hook/{n}");

    /// <summary>Starts listening on 127.0.0.1 at a free port.</summary>
    public static async Task<WebhookReceiver> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        try
        {
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            receiver.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
            return receiver;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>A copy of the distinct arrivals so far, in arrival order.</summary>
    public WebhookArrival[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _arrivals];
        }
    }

    /// <summary>Stops Kestrel.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrivedTicks = Stopwatch.GetTimestamp();
        var arrivedAt = DateTimeOffset.UtcNow;
        var request = context.Request;
        DateTimeOffset? eventAt = null;
        if (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/hook", StringComparison.Ordinal))
        {
            try
            {
                using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("timestamp", out var ts)
                    && ts.ValueKind == JsonValueKind.String
                    && ts.TryGetDateTimeOffset(out var parsed))
                {
                    eventAt = parsed;
                }
            }
            catch (JsonException)
            {
                // Counted as rejected below.
            }
        }
        if (eventAt is not { } at)
        {
            Interlocked.Increment(ref _rejected);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var key = $"{request.Path.Value} {request.Headers["webhook-id"]}";
        lock (_gate)
        {
            if (_seen.Add(key))
            {
                _arrivals.Add(new WebhookArrival(arrivedTicks, (arrivedAt - at).TotalMilliseconds));
            }
            else
            {
                Interlocked.Increment(ref _duplicates);
            }
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
