using System.Globalization;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Maps Telnyx's Call Control vocabulary to the neutral words of <see cref="OutcomeMapper"/> (which alone decides the
/// outcome). Sources: Telnyx's OpenAPI spec, webhook schemas <c>CallHangup</c> (<c>hangup_cause</c>: call_rejected,
/// normal_clearing, originator_cancel, timeout, time_limit, user_busy, not_found, no_answer, unspecified;
/// <c>sip_hangup_cause</c>: the SIP response code as a string, or <c>unspecified</c>), <c>CallMachineDetectionEnded</c>
/// (<c>result</c>: human, machine, not_sure) and <c>CallMachinePremiumDetectionEnded</c> (human_residence, human_business,
/// machine, silence, fax_detected, not_sure); https://developers.telnyx.com/docs/voice/programmable-voice/receiving-webhooks.
/// </summary>
public static class TelnyxStatusMap
{
    /// <summary>
    /// How a <c>call.hangup</c> ended the call: <c>normal_clearing</c> and <c>time_limit</c> → completed (connected, then hung
    /// up); <c>user_busy</c> → busy; <c>timeout</c> and <c>no_answer</c> → no answer; <c>originator_cancel</c> → canceled (we
    /// hung up before an answer); <c>call_rejected</c>, <c>not_found</c>, <c>unspecified</c> and anything else → failed,
    /// told apart by the SIP code (<see cref="OutcomeMapper"/>).
    /// </summary>
    public static CallEndStatus EndStatusOf(string? hangupCause) => hangupCause switch
    {
        "normal_clearing" or "time_limit" => CallEndStatus.Completed,
        "user_busy" => CallEndStatus.Busy,
        "timeout" or "no_answer" => CallEndStatus.NoAnswer,
        "originator_cancel" => CallEndStatus.Canceled,
        _ => CallEndStatus.Failed,
    };

    /// <summary>
    /// The outcome a hang-up cause names by itself when Telnyx sent no SIP code to tell it: <c>call_rejected</c> →
    /// rejected, <c>not_found</c> → invalid number; otherwise null (the outcome then comes from <see cref="EndStatusOf"/>
    /// through <see cref="OutcomeMapper"/>).
    /// </summary>
    public static CallOutcome? OutcomeWithoutSip(string? hangupCause, int? sipCode) => sipCode is not null ? null : hangupCause switch
    {
        "call_rejected" => CallOutcome.Rejected,
        "not_found" => CallOutcome.InvalidNumber,
        _ => null,
    };

    /// <summary>
    /// Who answered, from an AMD <c>result</c>: <c>human</c>, <c>human_residence</c>, <c>human_business</c> → human;
    /// <c>machine</c>, <c>fax_detected</c> → machine; <c>not_sure</c>, <c>silence</c> and others → unknown; absent → null.
    /// </summary>
    public static AnsweredBy? AnsweredByOf(string? result) => result switch
    {
        null or "" => null,
        "human" or "human_residence" or "human_business" => AnsweredBy.Human,
        "machine" or "fax_detected" => AnsweredBy.Machine,
        _ => AnsweredBy.Unknown,
    };

    /// <summary>The SIP code in <c>sip_hangup_cause</c> (e.g. <c>"486"</c>), or null for <c>unspecified</c>, absent or not a number.</summary>
    public static int? SipCodeOf(string? sipHangupCause) =>
        int.TryParse(sipHangupCause, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 100 and <= 699 ? n : null;

    /// <summary>An ISO 8601 time Telnyx sends (e.g. <c>2018-02-02T22:25:27.521992Z</c>) as UTC; null when absent or unreadable.</summary>
    public static DateTimeOffset? ParseTime(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
}
