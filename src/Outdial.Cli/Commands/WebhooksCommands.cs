using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Cli.Infrastructure;
using Outdial.Core.Webhooks;

namespace Outdial.Cli.Commands;

/// <summary>
/// <c>webhooks listen</c>: a local HTTP receiver (like <c>stripe listen</c>) that checks each POST's Standard Webhooks
/// signature (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>; HMAC-SHA256 with the <c>whsec_</c>
/// secret, timestamps within <c>--tolerance</c> seconds of now) and prints the events. Verified (or, without a secret,
/// unchecked) deliveries answer 204; a bad signature answers 401, so the server retries it, and is reported on stderr.
/// Status lines (address, registered endpoint, its secret) go to stderr, events to stdout: one line each, or with
/// <c>--json</c> each event's body as compact JSON (NDJSON).
/// </summary>
public static class WebhooksCommands
{
    public static Command Build()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = any free port)", DefaultValueFactory = _ => 5098 };
        var secret = Cmd.Opt("--secret", "Signing secret (whsec_…) to verify with [env: OUTDIAL_WEBHOOK_SECRET]; --register uses the new endpoint's");
        var register = new Option<bool>("--register") { Description = "Register a webhook endpoint pointing at this receiver (needs --api-key), print its secret and verify with it; deleted again on exit unless --keep" };
        var keep = new Option<bool>("--keep") { Description = "With --register: leave the endpoint registered on exit" };
        var events = Cmd.Opt("--events", "With --register: event types to subscribe to, comma-separated (default: all)");
        var tolerance = new Option<int>("--tolerance") { Description = "Accepted clock skew of webhook-timestamp, in seconds", DefaultValueFactory = _ => 300 };
        var maxEvents = new Option<int?>("--max-events") { Description = "Exit after this many accepted events" };
        var listen = Cmd.Leaf("listen", "Receive webhooks locally, verify their signatures and print the events (Ctrl+C to stop)", async ctx =>
        {
            var options = new WebhookListener.Settings(ctx.Get(host)!, ctx.Get(port), ctx.Get(secret) ?? Environment.GetEnvironmentVariable("OUTDIAL_WEBHOOK_SECRET"),
                TimeSpan.FromSeconds(ctx.Get(tolerance)), ctx.Get(maxEvents), ctx.Json);
            if (!ctx.Get(register) && string.IsNullOrEmpty(options.Secret))
            {
                Console.Error.WriteLine("warning: no --secret: signatures are not verified");
            }
            await using var listener = await WebhookListener.StartAsync(options, ctx.Cancellation);
            Console.Error.WriteLine($"Listening on {listener.Url}");
            string? endpointId = null;
            using var api = ctx.Get(register) ? ctx.Api() : null;
            try
            {
                if (api is not null)
                {
                    var body = new JsonObject { ["url"] = listener.Url, ["description"] = "outdial webhooks listen" };
                    if (ctx.Get(events) is { } types)
                    {
                        body["events"] = new JsonArray([.. types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => (JsonNode)JsonValue.Create(t))]);
                    }
                    var endpoint = await api.PostAsync("v1/webhook-endpoints", body, ctx.Cancellation);
                    endpointId = Output.Cell(endpoint["id"]);
                    listener.Secret = Output.Cell(endpoint["secret"]);
                    Console.Error.WriteLine($"Registered webhook endpoint {endpointId} -> {listener.Url}");
                    Console.Error.WriteLine($"Signing secret (shown only this once): {listener.Secret}");
                }
                Console.Error.WriteLine("Ready. Waiting for events (Ctrl+C to stop).");
                await listener.Done.WaitAsync(ctx.Cancellation);
            }
            catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
            {
                // Ctrl+C is how listening ends.
            }
            finally
            {
                if (api is not null && endpointId is not null && !ctx.Get(keep))
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await api.DeleteAsync("v1/webhook-endpoints/" + Cmd.Path(endpointId), timeout.Token);
                    Console.Error.WriteLine($"Deleted webhook endpoint {endpointId}");
                }
            }
            return ExitCodes.Ok;
        }, host, port, secret, register, keep, events, tolerance, maxEvents);
        return Cmd.Group("webhooks", "Webhook tools", listen);
    }
}

/// <summary>The receiver behind <c>webhooks listen</c>: Kestrel on one address, every POST checked and printed.</summary>
public sealed class WebhookListener : IAsyncDisposable
{
    /// <summary>What to listen on and how to check: <see cref="Tolerance"/> is the allowed timestamp skew either way.</summary>
    public sealed record Settings(string Host, int Port, string? Secret, TimeSpan Tolerance, int? MaxEvents, bool Json);

    private readonly WebApplication _app;
    private readonly Settings _settings;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _accepted;

    private WebhookListener(WebApplication app, Settings settings)
    {
        _app = app;
        _settings = settings;
        Secret = settings.Secret;
    }

    /// <summary>The receiver's URL, e.g. <c>http://127.0.0.1:5098/webhooks</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The secret deliveries are verified with; null or empty = not verified.</summary>
    public string? Secret { get; set; }

    /// <summary>Completes after <see cref="Settings.MaxEvents"/> accepted events (never without a maximum).</summary>
    public Task Done => _done.Task;

    public static async Task<WebhookListener> StartAsync(Settings settings, CancellationToken ct)
    {
        if (settings.Secret is { Length: > 0 } s)
        {
            try
            {
                WebhookSecrets.KeyOf(s);
            }
            catch (FormatException e)
            {
                throw new CliException(ExitCodes.Usage, $"error: --secret is not a valid whsec_ secret: {e.Message}", e);
            }
        }
        // An empty builder: no settings files or environment (this is not the Outdial server), no logging, no routing.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls($"http://{settings.Host}:{settings.Port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        var listener = new WebhookListener(app, settings);
        app.Run(listener.HandleAsync);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new CliException(ExitCodes.Usage, $"error: cannot listen on {settings.Host}:{settings.Port}: {e.Message}", e);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        listener.Url = address.TrimEnd('/') + "/webhooks";
        return listener;
    }

    private async Task HandleAsync(HttpContext http)
    {
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var id = http.Request.Headers[WebhookHeaders.Id].ToString();
        var timestampText = http.Request.Headers[WebhookHeaders.Timestamp].ToString();
        var signature = http.Request.Headers[WebhookHeaders.Signature].ToString();
        var verified = false;
        var secret = Secret;
        if (!string.IsNullOrEmpty(secret))
        {
            verified = long.TryParse(timestampText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var timestamp)
                && WebhookSignature.Verify(secret, id, timestamp, body, signature, DateTimeOffset.UtcNow, _settings.Tolerance);
            if (!verified)
            {
                lock (_gate)
                {
                    Console.Error.WriteLine($"{Now()}  REJECTED {id}: bad or missing signature, or timestamp outside ±{_settings.Tolerance.TotalSeconds:0} s (answered 401)");
                }
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
        }
        lock (_gate)
        {
            Console.Out.WriteLine(_settings.Json ? Compact(body) : Describe(body, id, verified));
            Console.Out.Flush();
            _accepted++;
            if (_settings.MaxEvents is { } max && _accepted >= max)
            {
                _done.TrySetResult();
            }
        }
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static string Now() => DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary><c>HH:mm:ss  call.ended  evt_…  call_… ended/rejected  verified</c>.</summary>
    private static string Describe(string body, string id, bool verified)
    {
        var check = verified ? "verified" : "unverified";
        try
        {
            var payload = JsonNode.Parse(body);
            var data = payload?["data"];
            var state = data?["outcome"] is null ? Output.Cell(data?["status"]) : $"{Output.Cell(data?["status"])}/{Output.Cell(data?["outcome"])}";
            return $"{Now()}  {Output.Cell(payload?["type"]),-22} {id}  {Output.Cell(data?["id"])}  {state}  [{check}]";
        }
        catch (JsonException)
        {
            return $"{Now()}  (not JSON, {body.Length} characters) {id}  [{check}]";
        }
    }

    private static string Compact(string body)
    {
        try
        {
            return Output.JsonText(JsonNode.Parse(body), indented: false);
        }
        catch (JsonException)
        {
            return JsonSerializer.Serialize(body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
