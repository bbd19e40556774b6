using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;

namespace Outdial.Core.Webhooks;

/// <summary>
/// Seed 002's call states (<c>/v2/callresult</c> and the <c>ResultDestination</c> push), and Outdial's additions for
/// calls that have not ended with an outcome.
/// </summary>
public static class IvrCallStates
{
    public const string Answered = "Answered";
    public const string Busy = "Busy";
    public const string Error = "Error";
    public const string InvalidNumber = "Invalid Number";
    public const string NoAnswer = "No Answer";
    public const string Rejected = "Rejected";
    public const string TemporarilyUnavailable = "Temporarily Unavailable";

    /// <summary>Outdial's addition: accepted, not dialed yet (scheduled or queued, also between retry attempts).</summary>
    public const string Pending = "Pending";
    /// <summary>Outdial's addition: dialing, ringing or connected.</summary>
    public const string InProgress = "In Progress";
    /// <summary>Outdial's addition: canceled before it ended.</summary>
    public const string Canceled = "Canceled";
    /// <summary>Outdial's addition: not dialed before its expiry.</summary>
    public const string Expired = "Expired";
    /// <summary>Outdial's addition: refused at dial time (do-not-call list, calling window, frequency cap).</summary>
    public const string Blocked = "Blocked";
    /// <summary>Outdial's addition: the UniqueId is not a call of the caller's account.</summary>
    public const string Unknown = "Unknown";

    /// <summary>
    /// The native status and outcome → the seed's state. Ended: answered → Answered; voicemail → Answered (the line was
    /// connected — SIP 200 — by a machine; the native API keeps <c>voicemail</c>); busy → Busy; no_answer → No Answer;
    /// rejected → Rejected; invalid_number → Invalid Number; unreachable → Temporarily Unavailable; error or no outcome →
    /// Error. Not ended: scheduled/queued → Pending; dialing/ringing/in_progress → In Progress; canceled, expired, blocked →
    /// Canceled, Expired, Blocked.
    /// </summary>
    public static string Of(Call call) => call.Status switch
    {
        CallStatus.Scheduled or CallStatus.Queued => Pending,
        CallStatus.Dialing or CallStatus.Ringing or CallStatus.InProgress => InProgress,
        CallStatus.Canceled => Canceled,
        CallStatus.Expired => Expired,
        CallStatus.Blocked => Blocked,
        CallStatus.Ended => call.Outcome switch
        {
            CallOutcome.Answered or CallOutcome.Voicemail => Answered,
            CallOutcome.Busy => Busy,
            CallOutcome.NoAnswer => NoAnswer,
            CallOutcome.Rejected => Rejected,
            CallOutcome.InvalidNumber => InvalidNumber,
            CallOutcome.Unreachable => TemporarilyUnavailable,
            _ => Error,
        },
        _ => Error,
    };
}

/// <summary>
/// The push of seed 002 (<c>ResultDestination</c>): when a call reaches its final state, its result row
/// <c>{"UniqueId", "CallRequestId", "CallState"}</c> is POSTed as <c>{"CallResults": [rows]}</c> — the body of
/// <c>/v2/callresult</c>. With <c>SendResultImmediately</c> the row goes out as soon as the call ends; otherwise rows are
/// held until the next multiple of the batch interval (UTC, counted from the Unix epoch) and every row due for the same
/// URL and account goes out in one POST. The rows are outbox deliveries written in the transaction that ends the call
/// (<see cref="WebhookOutbox.Plan"/>), so an acknowledged result is never lost; they are retried like webhooks.
/// </summary>
public static class IvrResultPush
{
    /// <summary>The final events that carry a result: ended, canceled, expired, blocked.</summary>
    public static readonly IReadOnlyList<string> Events =
        [CallEventTypes.Ended, CallEventTypes.Canceled, CallEventTypes.Expired, CallEventTypes.Blocked];

    /// <summary>Suffix of the outbox destination of a batched row (<c>call:{index}:batch</c>); such rows are sent grouped.</summary>
    public const string BatchSuffix = ":batch";

    /// <summary>The <c>ConversationId</c> given at <c>/v2/call</c> (<c>metadata.ivr.conversationId</c>); empty for other calls.</summary>
    public static string CallRequestId(Call call) =>
        call.Metadata?["ivr"] is JsonObject ivr && ivr["conversationId"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : "";

    /// <summary>The body for one call: <c>{"CallResults":[{"UniqueId": call id, "CallRequestId", "CallState"}]}</c>.</summary>
    public static string Body(Call call) => new JsonObject
    {
        ["CallResults"] = new JsonArray(Row(call)),
    }.ToJsonString();

    /// <summary>One row: <c>{"UniqueId", "CallRequestId", "CallState"}</c>.</summary>
    public static JsonObject Row(Call call) => new()
    {
        ["UniqueId"] = call.Id,
        ["CallRequestId"] = CallRequestId(call),
        ["CallState"] = IvrCallStates.Of(call),
    };

    /// <summary>One body holding the rows of several bodies made by <see cref="Body"/>, in the given order.</summary>
    /// <exception cref="JsonException">A body is not of that shape.</exception>
    public static string Merge(IEnumerable<string> bodies)
    {
        var rows = new JsonArray();
        foreach (var body in bodies)
        {
            if (JsonNode.Parse(body)?["CallResults"] is not JsonArray part)
            {
                throw new JsonException("not a CallResults body");
            }
            foreach (var row in part.ToList())
            {
                part.Remove(row);
                rows.Add(row);
            }
        }
        return new JsonObject { ["CallResults"] = rows }.ToJsonString();
    }

    /// <summary>The first multiple of <paramref name="intervalSec"/> seconds since the Unix epoch strictly after <paramref name="at"/> (UTC).</summary>
    public static DateTimeOffset NextBatchAt(DateTimeOffset at, int intervalSec)
    {
        var step = TimeSpan.FromSeconds(Math.Max(1, intervalSec)).Ticks;
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks((ticks / step + 1) * step);
    }
}
