using Outdial.Core.Net;

namespace Outdial.Core.Webhooks;

/// <summary>
/// The one set of rules for a webhook destination, shared by account endpoints (<c>/v1/webhook-endpoints</c>) and
/// per-call webhooks (<c>webhooks</c> on a call): URL required, at most <see cref="MaxUrlLength"/> characters and
/// accepted by the SSRF guard; an event filter that is null (all) or names known event types.
/// </summary>
public static class WebhookDestinations
{
    /// <summary>Longest accepted URL, in characters.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>Why <paramref name="url"/> is refused, or null when it is accepted. Skips the SSRF guard when <paramref name="guard"/> is null.</summary>
    public static async Task<string?> UrlErrorAsync(string? url, OutboundUrlGuard? guard, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "is required";
        }
        if (url.Length > MaxUrlLength)
        {
            return $"must be at most {MaxUrlLength} characters";
        }
        return guard is not null && await guard.CheckAsync(url, ct) is { Ok: false } check ? check.Error ?? "is not allowed" : null;
    }

    /// <summary>Why the event filter is refused (empty, or unknown types), or null when it is null or valid.</summary>
    public static string? EventsError(IReadOnlyList<string>? events)
    {
        if (events is null)
        {
            return null;
        }
        if (events.Count == 0)
        {
            return "must name at least one event type, or be left out (null) for all";
        }
        var unknown = events.Where(e => !WebhookEventTypes.IsKnown(e)).ToList();
        return unknown.Count > 0
            ? $"unknown event types: {string.Join(", ", unknown)}; known: {string.Join(", ", WebhookEventTypes.All)}"
            : null;
    }
}
