namespace Outdial.Core.Compliance;

/// <summary>
/// One reason behind an eligibility decision. <see cref="Code"/> is stable (documented in docs/campaigns-and-compliance.md):
/// <c>number_type_refused</c>, <c>dnc_listed</c>, <c>no_consent</c>, <c>duplicate_active_call</c>, <c>timezone_unknown</c>,
/// <c>window_empty</c>, <c>expired</c>, <c>expires_before_window</c>, <c>campaign_ended</c>, <c>campaign_not_started</c>,
/// <c>not_before</c>, <c>initial_delay</c>, <c>retry_cooldown</c>, <c>outside_window</c>, <c>legal_quiet_hours</c>,
/// <c>frequency_cap</c>, and <c>fictional_test_number</c> (a note, not a constraint). <see cref="Rule"/> names the rule applied
/// (e.g. <c>us.federal.tcpa_hours</c>, <c>campaign.window</c>) and <see cref="Source"/> its legal source where it has one.
/// </summary>
public sealed record EligibilityReason(string Code, string Detail, string? Rule = null, string? Source = null);

/// <summary>
/// An audit entry on a call: what was decided (<see cref="Action"/>: <c>queued</c>, <c>scheduled</c>, <c>refused</c>,
/// <c>dial</c>, <c>deferred</c>, <c>blocked</c>, <c>expired</c>), when (<see cref="At"/>, UTC), at which stage
/// (<c>intake</c>, <c>dispatch</c>, <c>retry</c>), until when for a deferral (UTC), and under which rules.
/// </summary>
public sealed record CallDecision(DateTimeOffset At, string Stage, string Action, DateTimeOffset? Until, IReadOnlyList<EligibilityReason> Reasons)
{
    /// <summary>Entries kept per call; older ones are dropped first.</summary>
    public const int MaxKept = 50;
}
