using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Common;
using Outdial.Core.Net;

namespace Outdial.Core.Webhooks;

/// <summary>
/// Sends the outbox: claims due deliveries with a lease (per-call order is enforced by the claim), signs each attempt
/// per Standard Webhooks (<c>webhook-id</c> = event id, stable across retries; <c>webhook-timestamp</c> = the attempt's
/// Unix seconds; <c>webhook-signature</c> = one <c>v1,</c> signature per active secret), POSTs it through the SSRF-guarded
/// handler (redirects not followed) with a per-attempt timeout, and records the attempt. Delivery is at least once: a
/// node that dies mid-attempt leaves the lease to expire and the delivery is sent again. A delivery with a
/// <see cref="WebhookDelivery.Format"/> is sent as its <see cref="ICallWebhookFormatter"/> renders it, batched ones of one
/// destination together.
/// </summary>
/// <remarks>
/// Outcome rules: 2xx succeeds; 410 fails the delivery and disables the endpoint; anything else (3xx included, since
/// redirects are not followed, timeouts and refused addresses too) is retried on <see cref="WebhookOptions.RetryDelays"/>
/// with jitter, never sooner than a 429/502/503/504 answer's <c>Retry-After</c> asks; when the schedule runs out the
/// delivery is <c>failed</c>.
/// </remarks>
public sealed partial class WebhookDeliverer : BackgroundService
{
    private const string UserAgent = "Outdial-Webhooks/1.0 (+https://www.standardwebhooks.com)";
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(24);

    private readonly IWebhookStore _store;
    private readonly OutboxSignal _signal;
    private readonly IOptions<WebhookOptions> _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookDeliverer> _log;
    private readonly IReadOnlyDictionary<string, ICallWebhookFormatter> _formatters;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly string _leaseToken;

    /// <exception cref="InvalidOperationException">Two formatters claim the same format name.</exception>
    public WebhookDeliverer(IWebhookStore store, OutboundUrlGuard guard, OutboxSignal signal, IOptions<WebhookOptions> options,
        IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<WebhookDeliverer> log, IEnumerable<ICallWebhookFormatter> formatters,
        Nodes.NodeIdentity node)
    {
        _leaseToken = node.LeaseToken(Nodes.NodeIdentity.Webhooks);
        _formatters = Formatters(formatters);
        _store = store;
        _signal = signal;
        _options = options;
        _lifetime = lifetime;
        _clock = clock;
        _log = log;
        _http = new HttpClient(guard.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _slots = new SemaphoreSlim(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ClaimLoop.RunAsync(_lifetime, RunOnceAsync, ct => _signal.WaitAsync(_options.Value.PollInterval, _clock, ct), ex => LogRoundFailed(_log, ex),
            stoppingToken);

    /// <summary>Lets attempts in flight finish (each is bounded by the attempt timeout) before the host stops.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAny(Task.WhenAll(_inFlight.Keys), Task.Delay(Timeout.Infinite, cancellationToken));
    }

    /// <summary>One claim round: leases as many due deliveries as there are free sending slots and starts them; returns how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var options = _options.Value;
        var free = _slots.CurrentCount;
        if (free == 0)
        {
            await Task.WhenAny(_inFlight.Keys.Append(Task.Delay(options.PollInterval, _clock, ct)));
            return 0;
        }
        var now = _clock.GetUtcNow();
        var due = await _store.ClaimDueDeliveriesAsync(now, Math.Min(free, options.BatchSize), options.LeaseDuration, _leaseToken, ct);
        foreach (var group in GroupBatches(due))
        {
            await _slots.WaitAsync(ct);
            var task = Task.Run(() => SendAndRecordAsync(group, ct), CancellationToken.None);
            _inFlight[task] = 0;
            _ = task.ContinueWith(t =>
            {
                _inFlight.TryRemove(t, out _);
                _slots.Release();
                _signal.Notify();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return due.Count;
    }

    private async Task SendAndRecordAsync(IReadOnlyList<WebhookDelivery> group, CancellationToken stopping)
    {
        var first = group[0];
        try
        {
            var (sendable, body, refused) = Render(group);
            foreach (var (delivery, error) in refused)
            {
                LogNotRendered(_log, delivery.Id, delivery.Format);
                await _store.RecordAttemptAsync(Outcome(delivery, new WebhookAttempt(0, _clock.GetUtcNow(), null, 0, null, error),
                    WebhookDeliveryStatus.Failed, null, disable: null), CancellationToken.None);
            }
            if (sendable.Count == 0)
            {
                return;
            }
            // A batch is sent as its first delivery carrying every row; each delivery records the same attempt.
            var lead = sendable[0];
            var sent = lead with { EventId = sendable.Count == 1 ? lead.EventId : "batch_" + lead.Id, Body = body };
            WebhookAttemptOutcome? outcome;
            using (var span = Telemetry.OutdialTelemetry.Source.StartActivity("outdial.webhook.deliver", System.Diagnostics.ActivityKind.Producer))
            {
                span?.SetTag("outdial.webhook.batch_size", sendable.Count);
                outcome = await SendAsync(sent, stopping);
                span?.SetTag("outdial.webhook.status", outcome?.Next.ToString());
            }
            if (outcome is not null)
            {
                foreach (var delivery in sendable)
                {
                    await _store.RecordAttemptAsync(outcome with { DeliveryId = delivery.Id }, CancellationToken.None);
                    if (outcome.Next == WebhookDeliveryStatus.Succeeded)
                    {
                        Telemetry.OutdialTelemetry.Delivered(delivery, outcome.Attempt.At);
                    }
                }
            }
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // The lease expires and the delivery is tried again: at least once, never lost.
            LogAttemptFailed(_log, ex, first.Id);
        }
    }

    /// <summary>Makes one attempt; null when the host is stopping (the lease then expires and another attempt follows).</summary>
    private async Task<WebhookAttemptOutcome?> SendAsync(WebhookDelivery delivery, CancellationToken stopping)
    {
        var options = _options.Value;
        var at = _clock.GetUtcNow();
        var secrets = await SecretsAsync(delivery, at, stopping);
        if (secrets is null)
        {
            return Outcome(delivery, new WebhookAttempt(0, at, null, 0, null, "endpoint disabled or deleted; not sent"),
                WebhookDeliveryStatus.Failed, null, disable: null);
        }
        var timestamp = at.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Id, delivery.EventId);
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Signature, WebhookSignature.Header(secrets, delivery.EventId, timestamp, delivery.Body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(options.AttemptTimeout);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var latency = watch.ElapsedMilliseconds;
            var excerpt = await ReadExcerptAsync(response, options.ResponseExcerptBytes, timeout.Token);
            var code = (int)response.StatusCode;
            if (code is >= 200 and < 300)
            {
                return Outcome(delivery, new WebhookAttempt(0, at, code, latency, excerpt, null), WebhookDeliveryStatus.Succeeded, null, disable: null);
            }
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return Outcome(delivery, new WebhookAttempt(0, at, code, latency, excerpt, "410 Gone: the endpoint asked not to be called again"),
                    WebhookDeliveryStatus.Failed, null, disable: delivery.EndpointId is null ? null : "gone");
            }
            var note = code is >= 300 and < 400 ? "redirect not followed" : null;
            return Retry(delivery, new WebhookAttempt(0, at, code, latency, excerpt, note), at, RetryAfter(response, at));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return Retry(delivery, new WebhookAttempt(0, at, null, watch.ElapsedMilliseconds, null,
                $"timed out after {options.AttemptTimeout.TotalSeconds:0.#} s"), at, null);
        }
        catch (HttpRequestException ex)
        {
            return Retry(delivery, new WebhookAttempt(0, at, null, watch.ElapsedMilliseconds, null, Describe(ex)), at, null);
        }
    }

    /// <summary>The secrets to sign with: the endpoint's active ones, the call's own, or the account's default; null when the endpoint is gone or disabled.</summary>
    private async Task<IReadOnlyList<string>?> SecretsAsync(WebhookDelivery delivery, DateTimeOffset now, CancellationToken ct)
    {
        if (delivery.EndpointId is { } endpointId)
        {
            var endpoint = await _store.GetEndpointAsync(delivery.AccountId, endpointId, ct);
            return endpoint is { Enabled: true } ? WebhookSecret.Active(endpoint.Secrets, now) : null;
        }
        if (delivery.Secret is { } own)
        {
            return [own];
        }
        return WebhookSecret.Active(await _store.GetSigningSecretsAsync(delivery.AccountId, now, WebhookSecrets.Generate, ct), now);
    }

    private WebhookAttemptOutcome Retry(WebhookDelivery delivery, WebhookAttempt attempt, DateTimeOffset at, TimeSpan? retryAfter)
    {
        var delays = _options.Value.RetryDelays;
        var made = delivery.SeriesAttempts + 1;
        if (made > delays.Count)
        {
            return Outcome(delivery, attempt, WebhookDeliveryStatus.Failed, null, disable: null);
        }
        var delay = Jitter(delays[made - 1]);
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }
        return Outcome(delivery, attempt, WebhookDeliveryStatus.Pending, at + delay, disable: null);
    }

    private WebhookAttemptOutcome Outcome(WebhookDelivery delivery, WebhookAttempt attempt, WebhookDeliveryStatus next, DateTimeOffset? nextAt,
        string? disable) =>
        new(delivery.Id, _leaseToken, attempt, next, nextAt, disable, _options.Value.DisableAfter);

    private TimeSpan Jitter(TimeSpan delay)
    {
        var fraction = Math.Clamp(_options.Value.JitterFraction, 0, 1);
        var factor = 1 + ((Random.Shared.NextDouble() * 2) - 1) * fraction;
        return TimeSpan.FromMilliseconds(delay.TotalMilliseconds * factor);
    }

    /// <summary>Retry-After (delta seconds or HTTP date, RFC 9110 §10.2.3) on 429, 502, 503 and 504; capped at 24 h.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        if ((int)response.StatusCode is not (429 or 502 or 503 or 504) || response.Headers.RetryAfter is not RetryConditionHeaderValue value)
        {
            return null;
        }
        var wait = value.Delta ?? (value.Date is { } date ? date - now : null);
        return wait is { } w && w > TimeSpan.Zero ? (w > MaxRetryAfter ? MaxRetryAfter : w) : null;
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        if (limit <= 0)
        {
            return null;
        }
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[limit];
            var filled = 0;
            while (filled < limit)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled, limit - filled), ct);
                if (read == 0)
                {
                    break;
                }
                filled += read;
            }
            return filled == 0 ? null : Encoding.UTF8.GetString(buffer, 0, filled);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The status decides the outcome; a body cut short only shortens the excerpt.
            return null;
        }
    }

    private static string Describe(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is OutboundAddressRefusedException refused)
            {
                return refused.Message;
            }
        }
        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name did not resolve",
            HttpRequestError.ConnectionError => "could not connect: " + (ex.InnerException?.Message ?? ex.Message),
            HttpRequestError.SecureConnectionError => "TLS handshake failed: " + (ex.InnerException?.Message ?? ex.Message),
            _ => ex.Message,
        };
    }

    public override void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Webhook delivery round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: recording the attempt failed; it will be retried")]
    private static partial void LogAttemptFailed(ILogger logger, Exception ex, string deliveryId);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: format {Format} has no formatter or could not render it; failed, not sent")]
    private static partial void LogNotRendered(ILogger logger, string deliveryId, string? format);
}
