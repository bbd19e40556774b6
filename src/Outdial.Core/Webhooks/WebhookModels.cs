using Outdial.Core.Calls;

namespace Outdial.Core.Webhooks;

/// <summary>The event types a webhook can carry (the <c>type</c> field); endpoint filters may name only these.</summary>
public static class WebhookEventTypes
{
    /// <summary>Every call lifecycle event, in lifecycle order.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        CallEventTypes.Queued, CallEventTypes.Scheduled, CallEventTypes.Dialing, CallEventTypes.Ringing, CallEventTypes.Answered,
        CallEventTypes.Voicemail, CallEventTypes.Ended, CallEventTypes.Canceled, CallEventTypes.Expired, CallEventTypes.Blocked,
        CallEventTypes.InsightsReady, CallEventTypes.InsightsFailed,
    ];

    /// <summary>True when <paramref name="type"/> is a known event type.</summary>
    public static bool IsKnown(string type) => All.Contains(type, StringComparer.Ordinal);

    /// <summary>True when a filter (null = all) lets <paramref name="type"/> through.</summary>
    public static bool Matches(IReadOnlyList<string>? filter, string type) => filter is null || filter.Contains(type, StringComparer.Ordinal);
}

/// <summary>
/// A signing secret in the Standard Webhooks format. <see cref="ExpiresAt"/> (UTC) is set when the secret was rotated
/// out: until then it is still used, so receivers see two signatures during the overlap (24 h by default).
/// </summary>
public sealed record WebhookSecret(string Value, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt)
{
    /// <summary>The secrets still valid at <paramref name="now"/> (not expired), newest first.</summary>
    public static IReadOnlyList<WebhookSecret> Valid(IEnumerable<WebhookSecret> secrets, DateTimeOffset now) =>
        [.. secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).OrderByDescending(s => s.CreatedAt)];

    /// <summary>The values of <see cref="Valid"/>: what signs at <paramref name="now"/>.</summary>
    public static IReadOnlyList<string> Active(IEnumerable<WebhookSecret> secrets, DateTimeOffset now) =>
        [.. Valid(secrets, now).Select(s => s.Value)];

    /// <summary>
    /// Rotation: a new secret becomes current; the current ones expire at <paramref name="now"/> + <paramref name="overlap"/>
    /// (or keep an earlier expiry); secrets already expired are dropped.
    /// </summary>
    public static IReadOnlyList<WebhookSecret> Rotate(IEnumerable<WebhookSecret> secrets, string fresh, DateTimeOffset now, TimeSpan overlap) =>
    [
        new WebhookSecret(fresh, now, null),
        .. secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now)
            .Select(s => s with { ExpiresAt = s.ExpiresAt is { } e && e < now + overlap ? e : now + overlap }),
    ];
}

/// <summary>
/// An account-level webhook endpoint. <see cref="Events"/> null means every event type. An endpoint is disabled by the
/// account (<c>enabled: false</c>), by a <c>410 Gone</c> answer, or after failing continuously for
/// <see cref="WebhookOptions.DisableAfter"/>; <see cref="DisabledReason"/> says which. <see cref="FailingSince"/> is the
/// first failed attempt since the last success (UTC).
/// </summary>
public sealed record WebhookEndpoint
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Url { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public required bool Enabled { get; init; }
    /// <summary><c>disabled_by_account</c>, <c>gone</c> (the endpoint answered 410) or <c>failing</c>.</summary>
    public string? DisabledReason { get; init; }
    public DateTimeOffset? DisabledAt { get; init; }
    public DateTimeOffset? FailingSince { get; init; }
    public required IReadOnlyList<WebhookSecret> Secrets { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>State of one message to one destination.</summary>
public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its next attempt (or for an earlier event of the same call to be delivered).</summary>
    Pending,
    /// <summary>A 2xx answer was received.</summary>
    Succeeded,
    /// <summary>The retry schedule ran out, the endpoint answered 410, or the endpoint was disabled or deleted.</summary>
    Failed,
}

/// <summary>One HTTP attempt of a delivery. <see cref="At"/> is UTC; <see cref="LatencyMs"/> is milliseconds until the answer's headers.</summary>
/// <param name="StatusCode">The HTTP status, or null when no answer came (timeout, refused address, connection error).</param>
/// <param name="ResponseExcerpt">The first bytes of the answer's body (at most <see cref="WebhookOptions.ResponseExcerptBytes"/>), decoded as UTF-8.</param>
/// <param name="Error">Why the attempt failed without an answer, or a note such as <c>redirect not followed</c>.</param>
public sealed record WebhookAttempt(int Number, DateTimeOffset At, int? StatusCode, long LatencyMs, string? ResponseExcerpt, string? Error);

/// <summary>
/// One message (an event) to one destination: an account endpoint (<see cref="EndpointId"/>) or a per-call webhook
/// (<see cref="Destination"/> <c>call:{index}</c>). Written to the outbox in the same transaction as its event.
/// <see cref="EventId"/> is the <c>webhook-id</c> header, stable across retries; <see cref="Body"/> is the event's
/// standard payload, signed and sent as is unless <see cref="Format"/> names a formatter that renders the body sent.
/// <see cref="SeriesAttempts"/> counts attempts since the delivery was created, redelivered or replayed (it indexes the
/// retry schedule); <see cref="Attempts"/> is the whole log. Times UTC.
/// </summary>
public sealed record WebhookDelivery
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public string? EndpointId { get; init; }
    public required string Destination { get; init; }
    public string? CallId { get; init; }
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    public required long Sequence { get; init; }
    public required string Url { get; init; }
    /// <summary>The per-call secret, if the call gave one (never shown by the API).</summary>
    public string? Secret { get; init; }
    public required string Body { get; init; }
    /// <summary>The per-call webhook's format (<see cref="ICallWebhookFormatter.Format"/>); null = <see cref="Body"/> is sent as is.</summary>
    public string? Format { get; init; }
    /// <summary>
    /// Due at a batch tick (<see cref="WebhookBatching.NextBatchAt"/>); with a <see cref="Format"/>, sent in one POST with the
    /// other batched deliveries of that format then due for the same account, URL and secret.
    /// </summary>
    public bool Batched { get; init; }
    public required WebhookDeliveryStatus Status { get; init; }
    public int SeriesAttempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<WebhookAttempt> Attempts { get; init; } = [];
}

/// <summary>What an attempt ended with, as the deliverer hands it to the store.</summary>
/// <param name="Next">
/// The delivery's next state: <see cref="WebhookDeliveryStatus.Pending"/> with <paramref name="NextAttemptAt"/>, or final.
/// <see cref="WebhookDeliveryStatus.Succeeded"/> (a 2xx) also clears the endpoint's <c>failingSince</c>.
/// </param>
/// <param name="DisableEndpoint">
/// Set to <c>gone</c> on a 410 answer; the store also disables an endpoint failing for longer than
/// <paramref name="DisableAfter"/>, with reason <c>failing</c>.
/// </param>
public sealed record WebhookAttemptOutcome(
    string DeliveryId,
    string LeaseToken,
    WebhookAttempt Attempt,
    WebhookDeliveryStatus Next,
    DateTimeOffset? NextAttemptAt,
    string? DisableEndpoint,
    TimeSpan DisableAfter);

/// <summary>Filters of the delivery log; <see cref="Cursor"/> is the last id of the previous page (newest first).</summary>
public sealed record WebhookDeliveryQuery(
    string AccountId,
    int Limit,
    string? Cursor = null,
    string? EndpointId = null,
    string? CallId = null,
    WebhookDeliveryStatus? Status = null,
    string? EventType = null);
