using Outdial.Core.Calls;

namespace Outdial.Core.Telephony;

/// <summary>
/// How a provider says an attempt ended, in the neutral words every provider's vocabulary maps to (Twilio's
/// <c>completed</c>, <c>busy</c>, <c>no-answer</c>, <c>canceled</c>, <c>failed</c>; Telnyx's and Plivo's hang-up causes).
/// </summary>
public enum CallEndStatus
{
    /// <summary>The call was connected (answered by a person or a machine) and then hung up.</summary>
    Completed,
    /// <summary>The callee's line was busy.</summary>
    Busy,
    /// <summary>It rang until the ring timeout (or the callee's network gave up) without an answer.</summary>
    NoAnswer,
    /// <summary>Hung up by us before anyone answered.</summary>
    Canceled,
    /// <summary>Not connected for another reason, told by the SIP response code and Q.850 cause.</summary>
    Failed,
}

/// <summary>
/// The one place that turns what a provider reports about an ended attempt — its end status, SIP response code, Q.850
/// cause and answering-machine detection (AMD) verdict — into the one outcome model (ARCHITECTURE §4). Every provider
/// (sandbox, Twilio, later Telnyx and Plivo) reports raw facts; <see cref="CallProgress"/> maps them here.
/// </summary>
public static class OutcomeMapper
{
    /// <summary>
    /// The outcome of an ended attempt:
    /// <list type="bullet">
    /// <item><see cref="CallEndStatus.Completed"/> → <c>voicemail</c> when a machine answered (AMD: machine or fax), else
    /// <c>answered</c> (a person, or unknown: the line was connected).</item>
    /// <item><see cref="CallEndStatus.Busy"/> → <c>busy</c>; <see cref="CallEndStatus.NoAnswer"/> and
    /// <see cref="CallEndStatus.Canceled"/> → <c>no_answer</c>.</item>
    /// <item><see cref="CallEndStatus.Failed"/> by the SIP response code (RFC 3261 §21): 404, 410, 484, 604 →
    /// <c>invalid_number</c>; 486, 600 → <c>busy</c>; 603 → <c>rejected</c>; 480 → <c>unreachable</c>; 408, 487 →
    /// <c>no_answer</c>; without one of those, by the Q.850 cause (ITU-T Q.850 Table 1): 1 unallocated number, 3 no route,
    /// 22 number changed, 28 invalid format → <c>invalid_number</c>; 17 → <c>busy</c>; 18, 19 → <c>no_answer</c>; 21 →
    /// <c>rejected</c>; 20 subscriber absent, 27 destination out of order → <c>unreachable</c>; anything else →
    /// <c>error</c>.</item>
    /// </list>
    /// </summary>
    public static CallOutcome Map(CallEndStatus status, AnsweredBy? answeredBy, int? sipCode, int? q850Cause) => status switch
    {
        CallEndStatus.Completed => answeredBy == AnsweredBy.Machine ? CallOutcome.Voicemail : CallOutcome.Answered,
        CallEndStatus.Busy => CallOutcome.Busy,
        CallEndStatus.NoAnswer or CallEndStatus.Canceled => CallOutcome.NoAnswer,
        _ => FromSip(sipCode) ?? FromQ850(q850Cause) ?? CallOutcome.Error,
    };

    private static CallOutcome? FromSip(int? sip) => sip switch
    {
        404 or 410 or 484 or 604 => CallOutcome.InvalidNumber,
        486 or 600 => CallOutcome.Busy,
        603 => CallOutcome.Rejected,
        480 => CallOutcome.Unreachable,
        408 or 487 => CallOutcome.NoAnswer,
        _ => null,
    };

    private static CallOutcome? FromQ850(int? cause) => cause switch
    {
        1 or 3 or 22 or 28 => CallOutcome.InvalidNumber,
        17 => CallOutcome.Busy,
        18 or 19 => CallOutcome.NoAnswer,
        21 => CallOutcome.Rejected,
        20 or 27 => CallOutcome.Unreachable,
        _ => null,
    };
}
