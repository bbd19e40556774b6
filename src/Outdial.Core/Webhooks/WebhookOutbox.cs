using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Common;

namespace Outdial.Core.Webhooks;

/// <summary>
/// Turns a call event into outbox rows: one delivery per enabled account endpoint whose filter matches, and one per
/// matching per-call webhook. Storage engines call <see cref="Plan"/> inside the transaction that writes the event, so
/// an event and its deliveries are committed together or not at all.
/// </summary>
public static class WebhookOutbox
{
    /// <summary>Outdial's JSON settings, escaping only what JSON requires (as the API's responses do): <c>+</c> stays <c>+</c>.</summary>
    private static readonly JsonSerializerOptions BodyOptions = CreateBodyOptions();

    private static JsonSerializerOptions CreateBodyOptions()
    {
        var options = Json.Create();
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return options;
    }

    /// <summary>
    /// The deliveries of <paramref name="e"/>, each carrying the event's <see cref="Payload"/>. <paramref name="attempt"/> is
    /// the call's latest attempt, if any. A per-call webhook's delivery is marked with its <see cref="CallWebhook.Format"/>
    /// (rendered when sent) and, when it has a batch interval, <see cref="WebhookDelivery.Batched"/> and due at the next
    /// batch tick (<see cref="WebhookBatching.NextBatchAt"/>); every other delivery is due at the event's time. Returns an
    /// empty list when nothing subscribes.
    /// </summary>
    public static IReadOnlyList<WebhookDelivery> Plan(CallEvent e, Call call, Attempt? attempt, IReadOnlyList<WebhookEndpoint> endpoints)
    {
        var targets = new List<(string? EndpointId, string Destination, string Url, string? Secret, string? Format, int BatchIntervalSec)>();
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Enabled && endpoint.AccountId == call.AccountId && WebhookEventTypes.Matches(endpoint.Events, e.Type))
            {
                targets.Add((endpoint.Id, endpoint.Id, endpoint.Url, null, null, 0));
            }
        }
        for (var i = 0; i < call.Webhooks.Count; i++)
        {
            var hook = call.Webhooks[i];
            if (WebhookEventTypes.Matches(hook.Events, e.Type))
            {
                targets.Add((null, $"call:{i}", hook.Url, hook.Secret, hook.Format, hook.BatchIntervalSec));
            }
        }
        if (targets.Count == 0)
        {
            return [];
        }
        var body = Payload(e, call, attempt);
        return [.. targets.Select(t => Delivery(e, call, t.EndpointId, t.Destination, t.Url, t.Secret, body) with
        {
            Format = t.Format,
            Batched = t.BatchIntervalSec > 0,
            NextAttemptAt = t.BatchIntervalSec > 0 ? WebhookBatching.NextBatchAt(e.At, t.BatchIntervalSec) : e.At,
        })];
    }

    private static WebhookDelivery Delivery(CallEvent e, Call call, string? endpointId, string destination, string url, string? secret,
        string body) => new()
        {
            Id = Ids.New("whd", e.At),
            AccountId = call.AccountId,
            EndpointId = endpointId,
            Destination = destination,
            CallId = call.Id,
            EventId = e.Id,
            EventType = e.Type,
            Sequence = e.Sequence,
            Url = url,
            Secret = secret,
            Body = body,
            Status = WebhookDeliveryStatus.Pending,
            NextAttemptAt = e.At,
            CreatedAt = e.At,
            UpdatedAt = e.At,
        };

    /// <summary>
    /// The webhook body: <c>{"id": event id, "type", "timestamp": event time (UTC, ISO-8601), "data": call resource +
    /// "attempt" (latest attempt or absent) + "sequence" + "insights" (the analysis, on <c>call.insights_ready</c> and
    /// <c>call.insights_failed</c>)}</c>, in the native API's JSON conventions (camelCase, nulls omitted).
    /// <c>data</c> is a snapshot taken when the event happened; retries send the same bytes.
    /// </summary>
    public static string Payload(CallEvent e, Call call, Attempt? attempt)
    {
        var data = (JsonObject)JsonSerializer.SerializeToNode(CallResource.Of(call), Json.Options)!;
        if (attempt is not null)
        {
            data["attempt"] = JsonSerializer.SerializeToNode(AttemptResource.Of(attempt), Json.Options);
        }
        data["sequence"] = e.Sequence;
        if (e.Data["insights"] is { } insights)
        {
            data["insights"] = insights.DeepClone();
        }
        var payload = new JsonObject
        {
            ["id"] = e.Id,
            ["type"] = e.Type,
            ["timestamp"] = JsonValue.Create(e.At.UtcDateTime),
            ["data"] = data,
        };
        return payload.ToJsonString(BodyOptions);
    }
}
