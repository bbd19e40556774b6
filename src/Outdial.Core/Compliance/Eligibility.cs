using System.Collections.Concurrent;
using NodaTime;
using Outdial.Core.Agents;
using Outdial.Core.Campaigns;

namespace Outdial.Core.Compliance;

/// <summary>What <see cref="Eligibility.Evaluate"/> decided.</summary>
public enum EligibilityAction
{
    /// <summary>May be dialed now.</summary>
    Dial,
    /// <summary>May be dialed at <see cref="EligibilityVerdict.NextEligibleAt"/>, not before.</summary>
    Defer,
    /// <summary>Must never be dialed as things stand (DNC, consent, duplicate, no zone or window that allows it).</summary>
    Block,
    /// <summary>Can no longer be dialed in time (expiry or campaign end before the next allowed instant).</summary>
    Expire,
}

/// <summary>
/// The verdict: the action, the earliest allowed instant (UTC; null when blocked, or expired without one) and every
/// reason that applies (codes in <see cref="EligibilityReason"/>). A dial now has no reasons.
/// </summary>
public sealed record EligibilityVerdict(EligibilityAction Action, DateTimeOffset? NextEligibleAt, IReadOnlyList<EligibilityReason> Reasons)
{
    /// <summary>True when the call may be dialed now.</summary>
    public bool Eligible => Action == EligibilityAction.Dial;
}

/// <summary>
/// Everything eligibility is decided on, gathered by <see cref="ComplianceChecker"/> from the call, its agent or
/// campaign, the account and the stores. Times are UTC.
/// </summary>
public sealed record EligibilityFacts
{
    /// <summary>Where the callee is (zones to intersect; country and region for the legal floor).</summary>
    public required CalleeLocation Callee { get; init; }
    /// <summary>Earliest dial time asked for (not-before, retry cooldown, initial delay); <see cref="EarliestCode"/> names it.</summary>
    public DateTimeOffset? Earliest { get; init; }
    /// <summary><c>not_before</c>, <c>retry_cooldown</c> or <c>initial_delay</c>.</summary>
    public string EarliestCode { get; init; } = "not_before";
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? CampaignStartAt { get; init; }
    public DateTimeOffset? CampaignEndAt { get; init; }
    /// <summary>The number's type (<see cref="CalleeLocation.NumberType"/>) when the operator refuses that type; null otherwise.</summary>
    public string? RefusedNumberType { get; init; }
    /// <summary>The number's DNC entry, if any.</summary>
    public DncEntry? Dnc { get; init; }
    /// <summary>False when a campaign switched plain DNC checks off (opt-outs still block).</summary>
    public bool DncEnabled { get; init; } = true;
    /// <summary>Why consent is not satisfied; null when it is (or not required).</summary>
    public string? ConsentProblem { get; init; }
    /// <summary>The pending or active call to the same number (same campaign) that makes this one a duplicate.</summary>
    public string? DuplicateOfCallId { get; init; }
    /// <summary>The campaign's or agent's calling window; its zone may be <see cref="Campaign.CalleeZone"/>.</summary>
    public CallingWindow? Window { get; init; }
    /// <summary><c>campaign.window</c> or <c>agent.window</c>.</summary>
    public string WindowRule { get; init; } = "agent.window";
    /// <summary>The legal floor's rules for this callee (<see cref="LegalFloor.RulesFor"/>).</summary>
    public IReadOnlyList<LegalRule> LegalRules { get; init; } = [];
    /// <summary>The account's frequency cap (null = none).</summary>
    public FrequencyLimit? AccountCap { get; init; }
    /// <summary>Start times (UTC, ascending) of earlier attempts to this number by the account, within the longest cap window.</summary>
    public IReadOnlyList<DateTimeOffset> DialTimes { get; init; } = [];
}

/// <summary>
/// The one place that decides whether and when a call may be dialed (ARCHITECTURE §5). Intake, the dispatcher's
/// dial-time re-check, the retry policy and the dry-run endpoint (<c>POST /v1/calls/check</c>) all call it.
/// <para>
/// Blocks: a number type the operator refuses (<c>number_type_refused</c>; libphonenumber's type), DNC (<c>dnc_listed</c>; an opt-out even when the campaign's DNC check is off), consent (<c>no_consent</c>),
/// duplicate (<c>duplicate_active_call</c>), no callee zone where one is needed (<c>timezone_unknown</c>, also when the
/// possible zones have no common allowed time). Then the earliest instant at or after now allowed by every
/// constraint: the earliest time asked for, campaign start, the calling window (in each possible callee zone when
/// its zone is <c>callee</c>), each legal rule's hours in each possible callee zone (<c>legal_quiet_hours</c>), and the
/// account and legal frequency caps over rolling windows (<c>frequency_cap</c>). It is found as a fixed point: each
/// constraint moves the candidate to its own next allowed instant until all agree, so the result is the earliest
/// instant allowed by all (nothing in between is allowed by the constraint that moved past it). Expiry or campaign
/// end at or before that instant expires the call.
/// </para>
/// </summary>
public static class Eligibility
{
    /// <summary>How far past the first candidate the search looks before declaring that no instant is allowed.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(21);

    private const int MaxRounds = 10_000;

    /// <summary>Decides for <paramref name="facts"/> at <paramref name="now"/> (UTC). Pure and thread-safe.</summary>
    public static EligibilityVerdict Evaluate(DateTimeOffset now, EligibilityFacts facts)
    {
        now = now.ToUniversalTime();
        var blocks = new List<EligibilityReason>();
        if (facts.RefusedNumberType is { } refusedType)
        {
            blocks.Add(new EligibilityReason("number_type_refused",
                $"the number is a {Calls.NumberTypes.Label(refusedType)} number ({refusedType}), a type this server does not call (Outdial:Compliance:RefusedNumberTypes)",
                "operator.number_types"));
        }
        if (facts.Dnc is { } dnc && (dnc.OptOut || facts.DncEnabled))
        {
            blocks.Add(new EligibilityReason("dnc_listed",
                dnc.OptOut ? "the callee opted out of calls" : $"the number is on the account's do-not-call list ({dnc.Source})", "account.dnc"));
        }
        if (facts.ConsentProblem is { } consent)
        {
            blocks.Add(new EligibilityReason("no_consent", consent, "account.consent"));
        }
        if (facts.DuplicateOfCallId is { } dup)
        {
            blocks.Add(new EligibilityReason("duplicate_active_call", $"call {dup} to this number is already pending or active", "duplicate_guard"));
        }

        var constraints = Constraints(facts, out var zonesMissing);
        if (zonesMissing)
        {
            blocks.Add(new EligibilityReason("timezone_unknown",
                "the callee's time zone cannot be told from the number; give the contact's timezone", "callee.timezone"));
        }

        var endsAt = Min(facts.ExpiresAt, facts.CampaignEndAt);
        var endCode = facts.CampaignEndAt is { } ce && (facts.ExpiresAt is null || ce < facts.ExpiresAt) ? "campaign_ended" : "expired";
        if (endsAt is { } end && end <= now)
        {
            blocks.Insert(0, new EligibilityReason(endCode, endCode == "expired" ? $"the call expired at {end:O}" : $"the campaign ended at {end:O}"));
            return new EligibilityVerdict(blocks.Count == 1 ? EligibilityAction.Expire : EligibilityAction.Block, null, blocks);
        }

        // Reasons for deferral: every constraint that does not allow "now".
        var reasons = new List<EligibilityReason>(blocks);
        foreach (var c in constraints)
        {
            if (c.Next(now) is not { } n || n > now)
            {
                AddOnce(reasons, c.Reason);
            }
        }
        if (blocks.Count > 0)
        {
            return new EligibilityVerdict(EligibilityAction.Block, null, reasons);
        }

        var next = FixedPoint(now, constraints);
        if (next is null)
        {
            // Blame the uncertain zone only when one of the possible zones alone would have an allowed time.
            var zones = ZoneEquivalence.Distinct(facts.Callee.Zones);
            var oneZoneWorks = zones.Count > 1 && constraints.Any(c => c.Zone is not null)
                && FixedPoint(now, [.. constraints.Where(c => c.Zone is null || c.Zone == zones[0])]) is not null;
            var reason = oneZoneWorks
                ? new EligibilityReason("timezone_unknown",
                    $"no time is allowed in all {zones.Count} zones the number may be in; give the contact's timezone", "callee.timezone")
                : new EligibilityReason("window_empty", $"no allowed dial time within {Horizon.TotalDays:0} days",
                    facts.Window is not null ? facts.WindowRule : "legal_floor");
            reasons.Insert(0, reason);
            return new EligibilityVerdict(EligibilityAction.Block, null, reasons);
        }
        if (endsAt is { } e && e <= next)
        {
            reasons.Insert(0, new EligibilityReason(endCode == "expired" ? "expires_before_window" : "campaign_ended",
                $"the next allowed time {next:O} is not before the {(endCode == "expired" ? "call's expiry" : "campaign's end")} {e:O}"));
            return new EligibilityVerdict(EligibilityAction.Expire, next, reasons);
        }
        return next == now
            ? new EligibilityVerdict(EligibilityAction.Dial, now, [])
            : new EligibilityVerdict(EligibilityAction.Defer, next, reasons);
    }

    private static void AddOnce(List<EligibilityReason> reasons, EligibilityReason reason)
    {
        if (!reasons.Contains(reason))
        {
            reasons.Add(reason);
        }
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>The earliest instant ≥ <paramref name="from"/> every constraint allows, or null within <see cref="Horizon"/>.</summary>
    private static DateTimeOffset? FixedPoint(DateTimeOffset from, IReadOnlyList<Constraint> constraints)
    {
        var t = from;
        DateTimeOffset? limit = null;
        for (var round = 0; round < MaxRounds; round++)
        {
            var moved = false;
            foreach (var c in constraints)
            {
                if (c.Next(t) is not { } n)
                {
                    return null;
                }
                if (n > t)
                {
                    t = n;
                    moved = true;
                }
            }
            if (!moved)
            {
                return t;
            }
            // The horizon runs from the first instant past fixed lower bounds (not-before, campaign start), so a call
            // scheduled months ahead is still found.
            limit ??= t + Horizon;
            if (t > limit)
            {
                return null;
            }
        }
        return null;
    }

    private static List<Constraint> Constraints(EligibilityFacts facts, out bool zonesMissing)
    {
        var list = new List<Constraint>();
        var earliest = Max(facts.Earliest, facts.CampaignStartAt);
        if (facts.CampaignStartAt is { } start && (facts.Earliest is null || start >= facts.Earliest))
        {
            list.Add(Constraint.NotBefore(start, new EligibilityReason("campaign_not_started", $"the campaign starts at {start:O}", "campaign.start")));
        }
        else if (earliest is { } e)
        {
            list.Add(Constraint.NotBefore(e, new EligibilityReason(facts.EarliestCode, $"not before {e:O}", "call." + facts.EarliestCode)));
        }

        var zones = ZoneEquivalence.Distinct(facts.Callee.Zones);
        zonesMissing = false;
        if (facts.Window is { } window)
        {
            var reason = new EligibilityReason("outside_window", Describe(window, facts.WindowRule), facts.WindowRule);
            if (window.TimeZone == Campaign.CalleeZone)
            {
                zonesMissing |= zones.Count == 0;
                foreach (var z in zones)
                {
                    list.Add(Constraint.Windows([window with { TimeZone = z }], reason, zone: z));
                }
            }
            else
            {
                list.Add(Constraint.Windows([window], reason, zone: null));
            }
        }
        foreach (var rule in facts.LegalRules)
        {
            if (rule.Hours.Count > 0)
            {
                zonesMissing |= zones.Count == 0;
                var reason = new EligibilityReason("legal_quiet_hours", $"{rule.Title} (callee local time)", rule.Id, rule.Source);
                foreach (var z in zones)
                {
                    list.Add(Constraint.Windows(
                        [.. rule.Hours.Select(h => new CallingWindow(z, h.Days, [new TimeRange(h.Start, h.End)]))], reason, zone: z));
                }
            }
            if (rule.Frequency is { } f)
            {
                list.Add(Constraint.Cap(f, facts.DialTimes, new EligibilityReason("frequency_cap",
                    $"at most {f.MaxAttempts} attempts per {Hours(f.WindowSec)} to this number ({rule.Title})", rule.Id, rule.Source)));
            }
        }
        if (facts.AccountCap is { } cap)
        {
            list.Add(Constraint.Cap(cap, facts.DialTimes, new EligibilityReason("frequency_cap",
                $"at most {cap.MaxAttempts} attempts per {Hours(cap.WindowSec)} to this number across the account", "account.frequency_cap")));
        }
        return list;
    }

    private static string Hours(int sec) => sec % 3600 == 0 ? $"{sec / 3600} h" : $"{sec} s";

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;

    private static string Describe(CallingWindow w, string rule) =>
        $"{(rule == "campaign.window" ? "campaign" : "agent")} calling window {string.Join(",", w.Ranges.Select(r => $"{r.Start:HH:mm}-{r.End:HH:mm}"))} "
        + $"on {string.Join(",", w.Days.Select(d => d.ToString()[..3].ToLowerInvariant()))} ({(w.TimeZone == Campaign.CalleeZone ? "callee local time" : w.TimeZone)})";

    /// <summary>One condition on the dial instant: <see cref="Next"/> gives its earliest allowed instant at or after t, or null for never.</summary>
    private sealed class Constraint
    {
        private readonly Func<DateTimeOffset, DateTimeOffset?> _next;

        private Constraint(Func<DateTimeOffset, DateTimeOffset?> next, EligibilityReason reason, string? zone)
        {
            _next = next;
            Reason = reason;
            Zone = zone;
        }

        public EligibilityReason Reason { get; }

        /// <summary>The callee zone this constraint is evaluated in (null for constraints not tied to a callee zone).</summary>
        public string? Zone { get; }

        public DateTimeOffset? Next(DateTimeOffset t) => _next(t);

        public static Constraint NotBefore(DateTimeOffset at, EligibilityReason reason) =>
            new(t => t >= at ? t : at, reason, null);

        /// <summary>A union of windows: the earliest opening of any.</summary>
        public static Constraint Windows(IReadOnlyList<CallingWindow> windows, EligibilityReason reason, string? zone) =>
            new(t =>
            {
                DateTimeOffset? best = null;
                foreach (var w in windows)
                {
                    if (w.NextOpening(t) is { } o && (best is null || o < best))
                    {
                        best = o;
                    }
                }
                return best;
            }, reason, zone);

        /// <summary>
        /// At most <c>MaxAttempts</c> dials in any rolling window: at t, the dials in (t − W, t] must number fewer than
        /// the limit; otherwise the earliest t' at which enough of them have left the window.
        /// </summary>
        public static Constraint Cap(FrequencyLimit limit, IReadOnlyList<DateTimeOffset> dials, EligibilityReason reason)
        {
            var window = TimeSpan.FromSeconds(limit.WindowSec);
            var sorted = dials.Order().ToArray(); // the reasoning below needs ascending times, whatever the caller passed
            return new(t =>
            {
                var inWindow = new List<DateTimeOffset>();
                foreach (var d in sorted)
                {
                    if (d > t - window && d <= t)
                    {
                        inWindow.Add(d);
                    }
                }
                if (inWindow.Count < limit.MaxAttempts)
                {
                    return t;
                }
                // Dials leave in ascending order; once the (count − max)th oldest has left, fewer than max remain.
                return inWindow[inWindow.Count - limit.MaxAttempts] + window;
            }, reason, null);
        }
    }
}

/// <summary>
/// Collapses zones that keep identical UTC offsets from 2020 to 2045 (e.g. America/Detroit and America/New_York):
/// a window gives the same instants in both, so checking one suffices. Cached per zone list.
/// </summary>
internal static class ZoneEquivalence
{
    private static readonly Interval Span = new(Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2045, 1, 1, 0, 0));
    private static readonly ConcurrentDictionary<string, string> Signatures = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> Lists = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> Distinct(IReadOnlyList<string> zones)
    {
        if (zones.Count <= 1)
        {
            return zones;
        }
        return Lists.GetOrAdd(string.Join(' ', zones), _ =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var kept = new List<string>();
            foreach (var z in zones)
            {
                if (seen.Add(Signatures.GetOrAdd(z, Signature)))
                {
                    kept.Add(z);
                }
            }
            return kept;
        });
    }

    private static string Signature(string zoneId)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        return string.Join(';', zone.GetZoneIntervals(Span).Select(i => $"{(i.HasStart && i.Start > Span.Start ? i.Start.ToUnixTimeSeconds() : 0)}:{i.WallOffset.Seconds}"));
    }
}
