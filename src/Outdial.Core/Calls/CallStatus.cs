using Outdial.Core.Common;

namespace Outdial.Core.Calls;

/// <summary>
/// Lifecycle of a call (ARCHITECTURE §4): <c>scheduled → queued → dialing → ringing → in_progress → ended</c>,
/// with side exits <c>canceled</c>, <c>expired</c> and <c>blocked</c>. Between attempts a call returns to
/// <c>scheduled</c>. Serialised in snake_case.
/// </summary>
public enum CallStatus
{
    Scheduled,
    Queued,
    Dialing,
    Ringing,
    InProgress,
    Ended,
    Canceled,
    Expired,
    Blocked,
}

/// <summary>The one definition of which status changes are allowed. Nothing moves backwards; terminal states never change.</summary>
public static class CallStateMachine
{
    /// <summary>Statuses in which a call holds a live attempt with the provider.</summary>
    public static bool IsActive(this CallStatus s) => s is CallStatus.Dialing or CallStatus.Ringing or CallStatus.InProgress;

    /// <summary>Statuses that never change again.</summary>
    public static bool IsTerminal(this CallStatus s) => s is CallStatus.Ended or CallStatus.Canceled or CallStatus.Expired or CallStatus.Blocked;

    /// <summary>Waiting to be dialed (the duplicate guard counts these and the active ones).</summary>
    public static bool IsPending(this CallStatus s) => s is CallStatus.Scheduled or CallStatus.Queued;

    /// <summary>
    /// True when <paramref name="from"/> → <paramref name="to"/> is a legal transition:
    /// forward along the path; to <c>scheduled</c> from an active state (next attempt);
    /// to <c>ended</c> from an active state; <c>canceled</c> from any non-terminal state; <c>expired</c> and <c>blocked</c>
    /// only from a pending state (they mean "not dialed": ARCHITECTURE §4).
    /// </summary>
    public static bool CanTransition(CallStatus from, CallStatus to)
    {
        if (from.IsTerminal())
        {
            return false;
        }
        return to switch
        {
            CallStatus.Scheduled => from is CallStatus.Queued || from.IsActive(),
            CallStatus.Queued => from is CallStatus.Scheduled,
            CallStatus.Dialing => from is CallStatus.Queued,
            CallStatus.Ringing => from is CallStatus.Dialing,
            CallStatus.InProgress => from is CallStatus.Dialing or CallStatus.Ringing,
            CallStatus.Ended => from.IsActive(),
            CallStatus.Canceled => true,
            CallStatus.Expired or CallStatus.Blocked => from.IsPending(),
            _ => false,
        };
    }

    /// <summary>snake_case wire name, e.g. <c>in_progress</c>.</summary>
    public static string ToWire(this CallStatus s) => WireNames.Of(s);

    /// <summary>Parses a wire name; returns false for anything else.</summary>
    public static bool TryParse(string? value, out CallStatus status) => WireNames.TryParse(value, out status);
}
