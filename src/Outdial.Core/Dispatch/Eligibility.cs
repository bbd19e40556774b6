using Outdial.Core.Agents;

namespace Outdial.Core.Dispatch;

/// <summary>The verdict of <see cref="Eligibility.Evaluate"/>.</summary>
public abstract record EligibilityDecision
{
    private EligibilityDecision() { }

    /// <summary>May be dialed now.</summary>
    public sealed record DialNow : EligibilityDecision;

    /// <summary>May be dialed at <see cref="Until"/> (UTC). Reasons: <c>not_before</c>, <c>outside_calling_window</c>.</summary>
    public sealed record Defer(DateTimeOffset Until, string Reason) : EligibilityDecision;

    /// <summary>Must never be dialed. Reasons: <c>dnc</c>, <c>consent_missing</c>.</summary>
    public sealed record Block(string Reason) : EligibilityDecision;

    /// <summary>Can no longer be dialed in time. Reasons: <c>expired</c>, <c>expires_before_window</c>, <c>expires_before_not_before</c>, <c>window_empty</c>.</summary>
    public sealed record Expire(string Reason, DateTimeOffset? NextOpening) : EligibilityDecision;
}

/// <summary>The facts eligibility is decided on. Times are UTC.</summary>
/// <param name="Earliest">The earliest the call may be dialed: now, a not-before time, or the end of a retry cooldown.</param>
public sealed record EligibilityFacts(
    DateTimeOffset Earliest,
    DateTimeOffset? ExpiresAt,
    CallingWindow? Window,
    bool OnDnc,
    bool ConsentSatisfied);

/// <summary>
/// The one place that decides whether and when a call may be dialed (ARCHITECTURE §5). Intake calls it to
/// accept, schedule or refuse; the dispatcher calls it again at dial time; the retry policy calls it to place
/// the next attempt. Order: DNC, consent, expiry, then the calling window.
/// </summary>
public static class Eligibility
{
    /// <summary>Decides for <paramref name="facts"/> at <paramref name="now"/> (UTC).</summary>
    public static EligibilityDecision Evaluate(DateTimeOffset now, EligibilityFacts facts)
    {
        if (facts.OnDnc)
        {
            return new EligibilityDecision.Block("dnc");
        }
        if (!facts.ConsentSatisfied)
        {
            return new EligibilityDecision.Block("consent_missing");
        }
        var earliest = facts.Earliest > now ? facts.Earliest : now;
        if (facts.ExpiresAt is { } exp && exp <= now)
        {
            return new EligibilityDecision.Expire("expired", null);
        }
        var reason = earliest > now ? "not_before" : null;
        if (facts.Window is { } window)
        {
            var opening = window.NextOpening(earliest);
            if (opening is null)
            {
                return new EligibilityDecision.Expire("window_empty", null);
            }
            if (opening.Value > earliest)
            {
                earliest = opening.Value;
                reason = "outside_calling_window";
            }
        }
        if (facts.ExpiresAt is { } expiry && expiry <= earliest)
        {
            return new EligibilityDecision.Expire(reason == "outside_calling_window" ? "expires_before_window" : "expires_before_not_before", earliest);
        }
        return reason is null ? new EligibilityDecision.DialNow() : new EligibilityDecision.Defer(earliest, reason);
    }
}
