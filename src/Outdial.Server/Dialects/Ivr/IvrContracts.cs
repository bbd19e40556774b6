using System.Text.Json;
using System.Text.Json.Serialization;
using Outdial.Core.Calls;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>Seed 002's <c>/v2/call</c> answer (200): <c>{"UniqueId": "&lt;native call id&gt;"}</c>.</summary>
public sealed record IvrCallCreated(string UniqueId);

/// <summary>One row of <c>/v2/callresult</c>: <c>{UniqueId, CallRequestId, CallState}</c>.</summary>
public sealed record IvrCallResult(string UniqueId, string CallRequestId, string CallState);

/// <summary>Seed 002's <c>/v2/callresult</c> answer (200): <c>{"CallResults": [...]}</c>, one row per requested id, in order.</summary>
public sealed record IvrCallResults(IReadOnlyList<IvrCallResult> CallResults);

/// <summary>
/// The error body (the seed documents none, so Outdial's): <c>{"Error": "&lt;text&gt;", "Field": "&lt;request field&gt;"}</c>.
/// <see cref="Field"/> names the body field at fault (a <c>ScenarioInputParameters</c> entry by its <c>Name</c>, e.g.
/// <c>_Destination</c>) and is left out when no single field is; <see cref="UniqueId"/> is set only on 409 (the pending call
/// to the same number).
/// </summary>
public sealed record IvrError(string Error, string? Field = null, string? UniqueId = null);

/// <summary>JSON, names as the seed writes them (PascalCase), nulls left out.</summary>
public static class IvrJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>The seed's call states, and Outdial's additions for calls that have not ended with an outcome.</summary>
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
/// Turns the seed's loosely written phone numbers into E.164 candidates (intake still checks the result). Spaces, dashes,
/// dots and parentheses are dropped; <c>+…</c> is kept; <c>00…</c> becomes <c>+…</c>; <c>0…</c> (a national trunk prefix)
/// loses the 0 and gets <c>+&lt;default calling code&gt;</c>; other digits get <c>+&lt;default calling code&gt;</c>.
/// Anything else is returned unchanged (cleaned) so that intake reports it.
/// </summary>
public static class IvrPhone
{
    public static string Normalize(string raw, string defaultCallingCode)
    {
        var s = E164.RemoveFormatting(raw);
        if (s.Length == 0 || s.StartsWith('+') || !s.All(char.IsAsciiDigit))
        {
            return s;
        }
        if (s.StartsWith("00", StringComparison.Ordinal))
        {
            return "+" + s[2..];
        }
        if (s.StartsWith('0'))
        {
            return "+" + defaultCallingCode + s[1..];
        }
        return "+" + defaultCallingCode + s;
    }
}
