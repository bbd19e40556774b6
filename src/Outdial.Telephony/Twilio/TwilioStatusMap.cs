using System.Globalization;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Maps Twilio's call vocabulary to the one outcome model (ARCHITECTURE §4). Source: Twilio "Call resource"
/// (<c>status</c>: queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled),
/// "Answering Machine Detection" (<c>AnsweredBy</c>: human, machine_start, machine_end_beep, machine_end_silence,
/// machine_end_other, fax, unknown) and "Status callbacks" (<c>SipResponseCode</c>). Raw values are kept by callers.
/// </summary>
public static class TwilioStatusMap
{
    /// <summary>The report kind of a Twilio <c>CallStatus</c>/<c>status</c>, or null for a value Twilio does not document.</summary>
    public static ProviderEventKind? KindOf(string? callStatus) => callStatus switch
    {
        "queued" or "initiated" => ProviderEventKind.Initiated,
        "ringing" => ProviderEventKind.Ringing,
        "in-progress" => ProviderEventKind.Answered,
        "completed" or "busy" or "no-answer" or "failed" or "canceled" => ProviderEventKind.Completed,
        _ => null,
    };

    /// <summary>Twilio's <c>AnsweredBy</c>: <c>human</c> → human; <c>machine_*</c> and <c>fax</c> → machine; <c>unknown</c> → unknown; absent → null.</summary>
    public static AnsweredBy? AnsweredByOf(string? answeredBy) => answeredBy switch
    {
        null or "" => null,
        "human" => AnsweredBy.Human,
        "fax" => AnsweredBy.Machine,
        _ when answeredBy.StartsWith("machine", StringComparison.Ordinal) => AnsweredBy.Machine,
        _ => AnsweredBy.Unknown,
    };

    /// <summary>
    /// The outcome of an ended Twilio call: <c>completed</c> → answered, or voicemail when AMD said machine or fax;
    /// <c>busy</c> → busy; <c>no-answer</c> and <c>canceled</c> (never answered) → no_answer; <c>failed</c> by its SIP
    /// response code (404, 410, 484, 604 → invalid_number; 486, 600 → busy; 603 → rejected; 480 → unreachable;
    /// 408, 487 → no_answer; anything else → error).
    /// </summary>
    public static CallOutcome OutcomeOf(string callStatus, string? answeredBy, int? sipResponseCode) => callStatus switch
    {
        "completed" => AnsweredByOf(answeredBy) == AnsweredBy.Machine ? CallOutcome.Voicemail : CallOutcome.Answered,
        "busy" => CallOutcome.Busy,
        "no-answer" or "canceled" => CallOutcome.NoAnswer,
        _ => sipResponseCode switch
        {
            404 or 410 or 484 or 604 => CallOutcome.InvalidNumber,
            486 or 600 => CallOutcome.Busy,
            603 => CallOutcome.Rejected,
            480 => CallOutcome.Unreachable,
            408 or 487 => CallOutcome.NoAnswer,
            _ => CallOutcome.Error,
        },
    };

    /// <summary>Parses an integer field Twilio sends as a string (e.g. <c>SipResponseCode</c>, <c>CallDuration</c>); null when absent or not a number.</summary>
    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
