using System.Text.Json.Nodes;
using Outdial.Core.Calls;

namespace Outdial.Server.Dialects.Ivr;

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

    /// <summary>The state of <paramref name="call"/> (<see cref="Of(CallStatus, CallOutcome?)"/>).</summary>
    public static string Of(Call call) => Of(call.Status, call.Outcome);

    /// <summary>
    /// The native status and outcome → the seed's state. Ended: answered → Answered; voicemail → Answered (the line was
    /// connected — SIP 200 — by a machine; the native API keeps <c>voicemail</c>); busy → Busy; no_answer → No Answer;
    /// rejected → Rejected; invalid_number → Invalid Number; unreachable → Temporarily Unavailable; error or no outcome →
    /// Error. Not ended: scheduled/queued → Pending; dialing/ringing/in_progress → In Progress; canceled, expired, blocked →
    /// Canceled, Expired, Blocked.
    /// </summary>
    public static string Of(CallStatus status, CallOutcome? outcome) => status switch
    {
        CallStatus.Scheduled or CallStatus.Queued => Pending,
        CallStatus.Dialing or CallStatus.Ringing or CallStatus.InProgress => InProgress,
        CallStatus.Canceled => Canceled,
        CallStatus.Expired => Expired,
        CallStatus.Blocked => Blocked,
        CallStatus.Ended => outcome switch
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
/// <c>/v2/callresult</c>. It is a per-call webhook on the final events in the <see cref="Format"/> format: the outbox holds
/// the event's standard payload, written in the transaction that ends the call (so an acknowledged result is never lost),
/// and <see cref="IvrResultFormatter"/> makes the rows from it when it is sent; it is retried like any webhook. With
/// <c>SendResultImmediately</c> the row goes out as soon as the call ends; otherwise the webhook has a batch interval and
/// the rows due for the same URL and account at a tick go out in one POST.
/// </summary>
public static class IvrResultPush
{
    /// <summary>
    /// The format's name on the per-call webhook and its deliveries. It is the name the result push's former enum value
    /// (<c>IvrResult</c>) was stored under in call documents and that migration 0007 gives earlier deliveries: never change it.
    /// </summary>
    public const string Format = "ivr_result";

    /// <summary>The final events that carry a result: ended, canceled, expired, blocked.</summary>
    public static readonly IReadOnlyList<string> Events =
        [CallEventTypes.Ended, CallEventTypes.Canceled, CallEventTypes.Expired, CallEventTypes.Blocked];

    /// <summary>The <c>ConversationId</c> given at <c>/v2/call</c> (<c>metadata.ivr.conversationId</c>); empty for other calls.</summary>
    public static string CallRequestId(Call call) => CallRequestId(call.Metadata);

    /// <summary>The <c>ConversationId</c> in a call's metadata (<c>ivr.conversationId</c>); empty when there is none.</summary>
    public static string CallRequestId(JsonObject? metadata) =>
        metadata?["ivr"] is JsonObject ivr && ivr["conversationId"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : "";
}
