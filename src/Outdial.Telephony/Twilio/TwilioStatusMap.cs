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
    /// How an ended Twilio call ended, in the neutral words of <see cref="OutcomeMapper"/> (which decides the outcome with
    /// the SIP code and AMD verdict): <c>completed</c> → completed; <c>busy</c> → busy; <c>no-answer</c> → no answer;
    /// <c>canceled</c> → canceled; <c>failed</c> and anything else → failed.
    /// </summary>
    public static CallEndStatus EndStatusOf(string callStatus) => callStatus switch
    {
        "completed" => CallEndStatus.Completed,
        "busy" => CallEndStatus.Busy,
        "no-answer" => CallEndStatus.NoAnswer,
        "canceled" => CallEndStatus.Canceled,
        _ => CallEndStatus.Failed,
    };

    /// <summary>Parses an integer field Twilio sends as a string (e.g. <c>SipResponseCode</c>, <c>CallDuration</c>); null when absent or not a number.</summary>
    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
