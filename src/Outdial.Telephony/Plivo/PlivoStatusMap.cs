using System.Globalization;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// Maps Plivo's call vocabulary to the neutral words of <see cref="OutcomeMapper"/>, which alone decides the outcome
/// (ARCHITECTURE §4). Sources: Plivo "XML request" (https://www.plivo.com/docs/voice/xml/request: <c>CallStatus</c> ringing,
/// in-progress, completed, busy, failed, timeout, no-answer; <c>HangupCause</c> the standard telephony cause),
/// Plivo support "What do the different call statuses mean?" (adds <c>cancel</c>), Plivo "Hangup causes"
/// (https://www.plivo.com/docs/voice/troubleshooting/hangup-causes: <c>HangupCauseCode</c>, <c>HangupCauseName</c>,
/// <c>HangupSource</c>) and "Asynchronous machine detection" (<c>Machine</c> true/false). Raw values are kept by callers.
/// </summary>
public static class PlivoStatusMap
{
    /// <summary>The report kind of a Plivo <c>CallStatus</c>, or null for a value Plivo does not document.</summary>
    public static ProviderEventKind? KindOf(string? callStatus) => callStatus switch
    {
        "ringing" => ProviderEventKind.Ringing,
        "in-progress" => ProviderEventKind.Answered,
        "completed" or "busy" or "failed" or "timeout" or "no-answer" or "cancel" or "canceled" => ProviderEventKind.Completed,
        _ => null,
    };

    /// <summary>Plivo's <c>Machine</c> (machine detection): <c>true</c> → machine, <c>false</c> → human, absent or other → null.</summary>
    public static AnsweredBy? AnsweredByOf(string? machine) => machine?.ToLowerInvariant() switch
    {
        "true" => AnsweredBy.Machine,
        "false" => AnsweredBy.Human,
        _ => null,
    };

    /// <summary>
    /// How an ended Plivo call ended. Hangup cause 1000 (canceled through the API before answer) → canceled, whatever the
    /// status. Otherwise by <c>CallStatus</c>: <c>completed</c> → completed when the call was answered (else failed);
    /// <c>busy</c> → busy; <c>no-answer</c> → no answer; <c>cancel</c>/<c>canceled</c> → canceled; <c>failed</c>,
    /// <c>timeout</c> (a carrier or network timeout, not the ring timeout) → failed. Without a status (a call detail record):
    /// answered → completed; else by <c>HangupCauseName</c> — <c>Busy Line</c> → busy, <c>No Answer</c> and
    /// <c>Ring Timeout Reached</c> → no answer, <c>Canceled</c> → canceled — else failed. A failed end is then told apart
    /// by <see cref="Q850Of"/>.
    /// </summary>
    public static CallEndStatus EndStatusOf(string? callStatus, int? hangupCauseCode, string? hangupCauseName, bool answered)
    {
        if (hangupCauseCode == 1000)
        {
            return CallEndStatus.Canceled;
        }
        return callStatus switch
        {
            "completed" => answered ? CallEndStatus.Completed : ByName(hangupCauseName),
            "busy" => CallEndStatus.Busy,
            "no-answer" => CallEndStatus.NoAnswer,
            "cancel" or "canceled" => CallEndStatus.Canceled,
            "failed" or "timeout" => CallEndStatus.Failed,
            _ => answered ? CallEndStatus.Completed : ByName(hangupCauseName),
        };
    }

    private static CallEndStatus ByName(string? name) => name?.Trim().ToLowerInvariant().Replace('_', ' ') switch
    {
        "busy line" => CallEndStatus.Busy,
        "no answer" or "ring timeout reached" => CallEndStatus.NoAnswer,
        "canceled" or "cancelled" => CallEndStatus.Canceled,
        _ => CallEndStatus.Failed,
    };

    /// <summary>
    /// The ITU-T Q.850 cause behind a Plivo hang-up, or null: first from <c>HangupCause</c>, the standard cause name
    /// (<c>UNALLOCATED_NUMBER</c> 1, <c>NO_ROUTE_DESTINATION</c> 3, <c>NORMAL_CLEARING</c> 16, <c>USER_BUSY</c> 17,
    /// <c>NO_USER_RESPONSE</c> 18, <c>NO_ANSWER</c> 19, <c>SUBSCRIBER_ABSENT</c> 20, <c>CALL_REJECTED</c> 21,
    /// <c>NUMBER_CHANGED</c> 22, <c>DESTINATION_OUT_OF_ORDER</c> 27, <c>INVALID_NUMBER_FORMAT</c> 28); else from Plivo's own
    /// hang-up code: 2000 Invalid Destination Address → 1, 2010 Destination Out Of Service → 27, 2020 Endpoint Not
    /// Registered → 20; a name of Plivo's <c>Rejected</c> → 21. Other codes (1010 out of credits, 2030/2040 barred by the
    /// account's geo or premium permissions, ...) have none, so the outcome is <c>error</c>.
    /// </summary>
    public static int? Q850Of(string? hangupCause, int? hangupCauseCode, string? hangupCauseName) =>
        hangupCause?.Trim().ToUpperInvariant() switch
        {
            "UNALLOCATED_NUMBER" => 1,
            "NO_ROUTE_DESTINATION" => 3,
            "NORMAL_CLEARING" => 16,
            "USER_BUSY" => 17,
            "NO_USER_RESPONSE" => 18,
            "NO_ANSWER" => 19,
            "SUBSCRIBER_ABSENT" => 20,
            "CALL_REJECTED" => 21,
            "NUMBER_CHANGED" => 22,
            "DESTINATION_OUT_OF_ORDER" => 27,
            "INVALID_NUMBER_FORMAT" => 28,
            _ => hangupCauseCode switch
            {
                2000 => 1,
                2010 => 27,
                2020 => 20,
                _ => string.Equals(hangupCauseName?.Trim(), "Rejected", StringComparison.OrdinalIgnoreCase) ? 21 : null,
            },
        };

    /// <summary>Parses an integer Plivo sends as a string (e.g. <c>HangupCauseCode</c>, <c>Duration</c>); null when absent or not a number.</summary>
    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>
    /// Parses one of Plivo's times: <c>2022-12-06 07:02:00</c> (a call detail record's <c>end_time</c>, read as UTC unless it
    /// carries an offset such as <c>+05:30</c>) or any ISO 8601 form; null when absent or unreadable.
    /// </summary>
    public static DateTimeOffset? ParseTime(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
}
