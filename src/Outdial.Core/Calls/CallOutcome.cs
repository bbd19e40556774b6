using Outdial.Core.Common;

namespace Outdial.Core.Calls;

/// <summary>
/// The one outcome model of an ended attempt or call (ARCHITECTURE §4). Every provider's raw status and
/// every dialect's result state maps from and to this list. Serialised in snake_case.
/// </summary>
public enum CallOutcome
{
    /// <summary>A human answered.</summary>
    Answered,
    /// <summary>An answering machine or voicemail answered (AMD: machine).</summary>
    Voicemail,
    /// <summary>SIP 486 / Q.850 cause 17.</summary>
    Busy,
    /// <summary>Rang until the ring timeout; SIP 480/487 / Q.850 cause 19.</summary>
    NoAnswer,
    /// <summary>The callee declined; SIP 603 / Q.850 cause 21.</summary>
    Rejected,
    /// <summary>The number does not exist; SIP 404 / Q.850 cause 1.</summary>
    InvalidNumber,
    /// <summary>Temporarily unavailable (switched off, out of coverage); SIP 480 / Q.850 cause 20.</summary>
    Unreachable,
    /// <summary>The provider or network failed; SIP 5xx / Q.850 cause 41.</summary>
    Error,
}

/// <summary>Facts about outcomes used by the retry policy and the API.</summary>
public static class CallOutcomes
{
    /// <summary>
    /// Whether another attempt could change the result. Answered, rejected and invalid numbers are final;
    /// busy, no answer, voicemail, unreachable and provider errors are worth another attempt when the
    /// call's retry policy allows one.
    /// </summary>
    public static bool IsRetryable(this CallOutcome o) => o is CallOutcome.Busy or CallOutcome.NoAnswer
        or CallOutcome.Voicemail or CallOutcome.Unreachable or CallOutcome.Error;

    /// <summary>snake_case wire name, e.g. <c>no_answer</c>.</summary>
    public static string ToWire(this CallOutcome o) => WireNames.Of(o);

    /// <summary>Parses a wire name; returns false for anything else.</summary>
    public static bool TryParse(string? value, out CallOutcome outcome) => WireNames.TryParse(value, out outcome);
}
