using System.Text.Json.Nodes;

namespace Outdial.Core.Calls;

/// <summary>
/// One lifecycle event of a call. <see cref="Sequence"/> starts at 1 and increases by one per call so
/// receivers can order and de-duplicate. <see cref="At"/> is UTC.
/// </summary>
public sealed record CallEvent(string Id, string CallId, string AccountId, long Sequence, string Type, DateTimeOffset At, JsonObject Data);

/// <summary>An event to append; the store assigns id and sequence in the same transaction as the change.</summary>
public sealed record NewCallEvent(string Type, JsonObject Data);

/// <summary>Event type names (the <c>type</c> field of events and, later, webhooks).</summary>
public static class CallEventTypes
{
    public const string Queued = "call.queued";
    public const string Scheduled = "call.scheduled";
    public const string Dialing = "call.dialing";
    public const string Ringing = "call.ringing";
    public const string Answered = "call.answered";
    public const string Voicemail = "call.voicemail";
    public const string Ended = "call.ended";
    public const string Canceled = "call.canceled";
    public const string Expired = "call.expired";
    public const string Blocked = "call.blocked";
    /// <summary>An analysis of the ended call completed; data <c>{"analysisId", "insights"}</c>.</summary>
    public const string InsightsReady = "call.insights_ready";
    /// <summary>An analysis gave up after its retries; data <c>{"analysisId", "insights"}</c> with <c>error</c>.</summary>
    public const string InsightsFailed = "call.insights_failed";
}
