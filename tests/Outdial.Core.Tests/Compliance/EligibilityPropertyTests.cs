using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;
using NodaTime.TimeZones;
using Outdial.Core.Agents;
using Outdial.Core.Campaigns;
using Outdial.Core.Compliance;
using Xunit.Abstractions;

namespace Outdial.Core.Tests.Compliance;

/// <summary>
/// The acceptance property of <see cref="Eligibility.Evaluate"/>: over 100,000 generated cases (instants across DST
/// changes, zones with half- and quarter-hour offsets, windows crossing midnight, multi-zone callees) it never allows a
/// dial outside any applicable window, and <see cref="EligibilityVerdict.NextEligibleAt"/> is the earliest allowed
/// instant. <see cref="Oracle"/> decides "allowed" straight from the documented semantics, without searching.
/// <para>
/// Earliest is checked on breakpoints: window boundaries are quarter-hours, zone offsets are multiples of 15 minutes and
/// the generated zones change offset on quarter-hours, so the allowed set (a union of [start, end) intervals) can only
/// start anew at a quarter-hour of the UTC grid, at a not-before or campaign start, or where a capped dial leaves its
/// window. If none of those in [now, next) is allowed, nothing in [now, next) is.
/// </para>
/// </summary>
public sealed class EligibilityPropertyTests(ITestOutputHelper output)
{
    private const int Cases = 100_000;

    private const string NewYork = "America/New_York", LosAngeles = "America/Los_Angeles", Denver = "America/Denver",
        Chicago = "America/Chicago";

    /// <summary>Single callee or window zones: half-, quarter-hour and 30-minute-DST zones, both hemispheres.</summary>
    private static readonly string[] Zones =
    [
        NewYork, LosAngeles, Denver, "America/Phoenix", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu",
        "Australia/Adelaide", "Australia/Lord_Howe", "Europe/London", "Pacific/Chatham", "Pacific/Honolulu",
    ];

    /// <summary>Zones a number may be in (an area code or country spanning several).</summary>
    private static readonly string[][] ZoneSets =
    [
        ["America/Boise", LosAngeles], [Chicago, NewYork], [Denver, Chicago], [NewYork, Chicago, Denver, LosAngeles],
        [
            "Australia/Perth", "Australia/Eucla", "Australia/Darwin", "Australia/Brisbane", "Australia/Adelaide",
            "Australia/Broken_Hill", "Australia/Sydney", "Australia/Melbourne", "Australia/Hobart", "Australia/Lord_Howe",
        ],
    ];

    private static readonly IsoDayOfWeek[] EveryDay = [.. Enumerable.Range(1, 7).Select(d => (IsoDayOfWeek)d)];

    private static readonly LegalRule TcpaHours = HoursRule("test.tcpa_hours", new AllowedHours(EveryDay, new(8, 0), new(21, 0)));

    private static readonly LegalRule SundayRule = HoursRule("test.sunday_hours",
        new AllowedHours(EveryDay[..6], new(9, 0), new(21, 0)), new AllowedHours([IsoDayOfWeek.Sunday], new(12, 0), new(21, 0)));

    private static readonly DateTimeOffset SpanStart = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SpanEnd = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Offset changes of every generated zone in 2024–2030, from TZDB.</summary>
    private static readonly Dictionary<string, DateTimeOffset[]> Transitions = Zones.Concat(ZoneSets.SelectMany(s => s)).Distinct()
        .ToDictionary(z => z, z => DateTimeZoneProviders.Tzdb[z]
            .GetZoneIntervals(Instant.FromDateTimeOffset(SpanStart), Instant.FromDateTimeOffset(SpanEnd))
            .Where(i => i.HasStart && i.Start > Instant.FromDateTimeOffset(SpanStart))
            .Select(i => i.Start.ToDateTimeOffset()).ToArray());

    private static LegalRule HoursRule(string id, params AllowedHours[] hours) =>
        new() { Id = id, Region = "XX", Title = id, Source = "test", Hours = hours };

    [Fact]
    public void Evaluate_OverGeneratedCases_NeverDialsOutsideAWindowAndDefersToTheEarliestAllowedInstant()
    {
        var counts = new int[4];
        var stopwatch = Stopwatch.StartNew();
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true);

        Prop.ForAll(CaseGen(CalleeZonesGen, WindowGen).ToArbitrary(), (Case c) =>
        {
            var verdict = Eligibility.Evaluate(c.Now, c.Facts);
            Interlocked.Increment(ref counts[(int)verdict.Action]);
            if (Violation(c, verdict) is { } violation)
            {
                Assert.Fail($"{violation}\n  verdict: {Describe(verdict)}\n  case: {c}");
            }
        }).Check(config);

        var total = counts.Sum();
        output.WriteLine($"{total} cases in {stopwatch.Elapsed.TotalSeconds:0.0} s: " +
            string.Join(", ", Enum.GetValues<EligibilityAction>().Select(a => $"{a} {counts[(int)a]}")));
        Assert.True(total >= Cases, $"only {total} cases ran");
        Assert.All(counts, n => Assert.True(n > total / 100, "every action is generated in at least 1% of the cases"));
    }

    /// <summary>Mutants: each runs the same checks against a deliberately wrong evaluator, which must be caught.</summary>
    [Theory]
    [InlineData("ignores-second-zone")]
    [InlineData("ignores-legal-hours")]
    [InlineData("defers-a-quarter-hour-late")]
    public void Violation_OfADeliberatelyWrongEvaluator_IsCaught(string mutant)
    {
        var zones = mutant == "ignores-second-zone" ? Gen.Elements(ZoneSets) : CalleeZonesGen;
        var cases = CaseGen(zones, WindowGen).Sample(300, new Rnd(20260114UL), 50);
        Func<Case, EligibilityVerdict> wrong = mutant switch
        {
            "ignores-second-zone" => c => Eligibility.Evaluate(c.Now, c.Facts with { Callee = c.Facts.Callee with { Zones = [c.Facts.Callee.Zones[0]] } }),
            "ignores-legal-hours" => c => Eligibility.Evaluate(c.Now, c.Facts with { LegalRules = [.. c.Facts.LegalRules.Where(r => r.Hours.Count == 0)] }),
            _ => c => Eligibility.Evaluate(c.Now, c.Facts) is { Action: EligibilityAction.Defer, NextEligibleAt: { } n } v
                ? v with { NextEligibleAt = n.AddMinutes(15) }
                : Eligibility.Evaluate(c.Now, c.Facts),
        };

        Assert.All(cases, c => Assert.Null(Violation(c, Eligibility.Evaluate(c.Now, c.Facts))));
        var caught = cases.Count(c => Violation(c, wrong(c)) is not null);
        output.WriteLine($"{mutant}: caught in {caught} of {cases.Length} cases");
        Assert.True(caught > 0, $"the property did not catch the '{mutant}' mutant");
    }

    /// <summary>What is wrong with <paramref name="v"/> for <paramref name="c"/>, or null when it is right.</summary>
    private static string? Violation(Case c, EligibilityVerdict v)
    {
        var f = c.Facts;
        var oracle = new Oracle(f);
        var endsAt = new[] { f.ExpiresAt, f.CampaignEndAt }.Where(e => e is not null).Min();
        var needsZone = f.Window?.TimeZone == Campaign.CalleeZone || f.LegalRules.Any(r => r.Hours.Count > 0);
        var codes = v.Reasons.Select(r => r.Code).ToArray();
        if (f.Callee.Zones.Count == 0 && needsZone)
        {
            return v.Action == EligibilityAction.Block && codes.Contains("timezone_unknown") ? null : "unknown zone not blocked";
        }
        if (endsAt <= c.Now)
        {
            return v is { Action: EligibilityAction.Expire, NextEligibleAt: null } && codes is ["expired" or "campaign_ended"]
                ? null : "ended before now but not expired";
        }
        var failing = oracle.FailingCodes(c.Now);
        switch (v.Action)
        {
            case EligibilityAction.Dial:
                if (v.NextEligibleAt != c.Now || codes.Length > 0)
                {
                    return "a dial must carry now and no reasons";
                }
                return oracle.Allowed(c.Now) ? null : $"dialed at a disallowed instant (failing: {string.Join(",", failing)})";
            case EligibilityAction.Defer or EligibilityAction.Expire:
                if (v.NextEligibleAt is not { } next || next <= c.Now)
                {
                    return "NextEligibleAt missing or not after now";
                }
                if (!oracle.Allowed(next))
                {
                    return "NextEligibleAt is not allowed";
                }
                if (oracle.FirstAllowed(c.Now, next) is { } earlier)
                {
                    return $"{earlier:O} is allowed and earlier than NextEligibleAt";
                }
                var expires = v.Action == EligibilityAction.Expire;
                if (expires != (endsAt <= next))
                {
                    return expires ? "expired although the call ends after NextEligibleAt" : "deferred past the call's end";
                }
                return SameReasons(expires ? codes[1..] : codes, failing);
            default:
                if (codes is not ["timezone_unknown" or "window_empty", ..])
                {
                    return "a block without a time-related reason";
                }
                var from = oracle.LowerBound is { } lb && lb > c.Now ? lb : c.Now;
                // The scan is the slow part: spot-check a quarter of the blocks (those whose now is a multiple of 4 s).
                var spotCheck = c.Now.ToUnixTimeSeconds() % 4 == 0;
                return (spotCheck ? oracle.FirstAllowed(from, from.AddDays(8)) : null) is { } found
                    ? $"blocked, yet {found:O} is allowed"
                    : SameReasons(codes[1..], failing);
        }
    }

    private static string? SameReasons(string[] codes, IReadOnlyCollection<string> failing) =>
        codes.ToHashSet().SetEquals(failing) ? null : $"reasons [{string.Join(",", codes)}] but failing at now: [{string.Join(",", failing)}]";

    /// <summary>One generated input.</summary>
    private sealed record Case(DateTimeOffset Now, EligibilityFacts Facts)
    {
        public override string ToString()
        {
            var f = Facts;
            var w = f.Window is { } win
                ? $"{win.TimeZone} {string.Join("", win.Days.Select(d => (int)d))} {string.Join(",", win.Ranges.Select(r => $"{r.Start:HH:mm}-{r.End:HH:mm}"))}"
                : "none";
            return $"now={Now:O} zones=[{string.Join(",", f.Callee.Zones)}] window={w} rules=[{string.Join(",", f.LegalRules.Select(r => r.Id + (r.Frequency is { } rf ? $"({rf.MaxAttempts}/{rf.WindowSec}s)" : "")))}] " +
                $"cap={(f.AccountCap is { } cap ? $"{cap.MaxAttempts}/{cap.WindowSec}s" : "none")} dials=[{string.Join(",", f.DialTimes.Select(d => d.ToString("O", CultureInfo.InvariantCulture)))}] " +
                $"earliest={f.Earliest:O} start={f.CampaignStartAt:O} expires={f.ExpiresAt:O} end={f.CampaignEndAt:O}";
        }
    }

    private static string Describe(EligibilityVerdict v) =>
        $"{v.Action} {v.NextEligibleAt:O} [{string.Join(",", v.Reasons.Select(r => r.Code))}]";

    private static Gen<string[]> CalleeZonesGen => Gen.Frequency(
        (2, Gen.Constant(Array.Empty<string>())),
        (50, Gen.Elements(Zones).Select(z => new[] { z })),
        (48, Gen.Elements(ZoneSets)));

    /// <summary>A quarter-hour of the day (0–95), a third of the time between 01:00 and 03:00 where DST changes happen.</summary>
    private static Gen<int> QuarterGen => Gen.Frequency((3, Gen.Choose(0, 95)), (2, Gen.Choose(4, 12)));

    private static Gen<TimeRange> RangeGen =>
        from start in QuarterGen
        from end in Gen.Frequency((1, QuarterGen), (2, Gen.Choose(8, 56).Select(length => (start + length) % 96)))
        select new TimeRange(Quarter(start), Quarter(end == start ? (end + 1) % 96 : end));

    private static LocalTime Quarter(int q) => LocalTime.Midnight.PlusMinutes(15 * q);

    private static Gen<IsoDayOfWeek[]> DaysGen => Gen.Frequency(
        (1, Gen.Constant(EveryDay)),
        (1, Gen.Constant(EveryDay[..5])),
        (2, Gen.Choose(1, 127).Select(mask => EveryDay.Where(d => (mask >> ((int)d - 1) & 1) == 1).ToArray())));

    private static Gen<CallingWindow?> WindowGen => Gen.Frequency(
        (1, Gen.Constant<CallingWindow?>(null)),
        (6, from zone in Gen.Frequency((3, Gen.Constant(Campaign.CalleeZone)), (2, Gen.Elements(Zones)))
            from days in DaysGen
            from count in Gen.Choose(1, 3)
            from ranges in RangeGen.ArrayOf(count)
            select (CallingWindow?)new CallingWindow(zone, days, ranges)));

    private static Gen<LegalRule[]> RulesGen =>
        from hours in Gen.Frequency(
            (4, Gen.Constant(Array.Empty<LegalRule>())), (3, Gen.Constant(new[] { TcpaHours })),
            (2, Gen.Constant(new[] { SundayRule })), (1, Gen.Constant(new[] { TcpaHours, SundayRule })))
        from cap in Gen.Frequency((4, Gen.Constant<FrequencyLimit?>(null)), (1, CapGen(3_600, 14_400, 86_400)))
        select cap is null ? hours : [.. hours, new LegalRule { Id = "test.frequency", Region = "XX", Title = "cap", Source = "test", Frequency = cap }];

    private static Gen<FrequencyLimit?> CapGen(params int[] windows) =>
        from max in Gen.Choose(1, 3)
        from window in Gen.Elements(windows)
        select (FrequencyLimit?)new FrequencyLimit(max, window);

    /// <summary>Mostly within a day of an offset change of one of <paramref name="zones"/>; a third snapped to the quarter-hour grid.</summary>
    private static Gen<DateTimeOffset> NowGen(string[] zones)
    {
        var uniform = Gen.Choose(0, (int)(SpanEnd - SpanStart).TotalSeconds - 1).Select(s => SpanStart.AddSeconds(s));
        var transitions = zones.SelectMany(z => Transitions[z]).ToArray();
        var near = transitions.Length == 0 ? uniform : from t in Gen.Elements(transitions) from s in Gen.Choose(-86_400, 86_400) select t.AddSeconds(s);
        return from t in Gen.Frequency((3, near), (1, uniform))
               from snap in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
               select snap ? new DateTimeOffset(t.UtcTicks / Oracle.Grid.Ticks * Oracle.Grid.Ticks, TimeSpan.Zero) : t;
    }

    /// <summary>Seconds from now, or null with odds <paramref name="none"/>:1.</summary>
    private static Gen<int?> Maybe(int none, int from, int to) =>
        Gen.Frequency((none, Gen.Constant<int?>(null)), (1, Gen.Choose(from, to).Select(s => (int?)s)));

    /// <summary>Past dials, ascending, at arbitrary seconds; some exactly one cap window ago or exactly now.</summary>
    private static Gen<DateTimeOffset[]> DialsGen(DateTimeOffset now, int[] windows) =>
        windows.Length == 0
            ? Gen.Constant(Array.Empty<DateTimeOffset>())
            : from count in Gen.Choose(0, 5)
              from ago in (from w in Gen.Elements(windows)
                           from s in Gen.Frequency((6, Gen.Choose(0, w + 600)), (1, Gen.Constant(w)), (1, Gen.Constant(0)))
                           select s).ArrayOf(count)
              select ago.Select(s => now.AddSeconds(-s)).Order().ToArray();

    private static Gen<Case> CaseGen(Gen<string[]> zonesGen, Gen<CallingWindow?> windowGen) =>
        from zones in zonesGen
        from window in windowGen
        from rules in RulesGen
        from accountCap in Gen.Frequency((2, Gen.Constant<FrequencyLimit?>(null)), (1, CapGen(3_600, 14_400, 86_400, 259_200)))
        from now in NowGen(window is { TimeZone: var wz } && wz != Campaign.CalleeZone ? [.. zones, wz] : zones)
        from dials in DialsGen(now, [.. rules.Select(r => r.Frequency).Append(accountCap).OfType<FrequencyLimit>().Select(l => l.WindowSec)])
        from earliest in Maybe(2, -3_600, 3 * 86_400)
        from start in Maybe(9, -86_400, 2 * 86_400)
        from expires in Maybe(3, -3_600, 5 * 86_400)
        from end in Maybe(19, -3_600, 5 * 86_400)
        select new Case(now, new EligibilityFacts
        {
            Callee = new CalleeLocation("XX", null, zones, zones.Length == 0 ? "unknown" : "area_code"),
            Window = window,
            WindowRule = "campaign.window",
            LegalRules = rules,
            AccountCap = accountCap,
            DialTimes = dials,
            Earliest = earliest is { } e ? now.AddSeconds(e) : null,
            CampaignStartAt = start is { } s ? now.AddSeconds(s) : null,
            ExpiresAt = expires is { } x ? now.AddSeconds(x) : null,
            CampaignEndAt = end is { } ce ? now.AddSeconds(ce) : null,
        });

    /// <summary>
    /// Whether an instant is allowed, decided from the documented semantics alone: at or after not-before and campaign
    /// start; inside the window (in every callee zone for <see cref="Campaign.CalleeZone"/>); inside some block of each
    /// legal rule's hours in every callee zone; fewer than the cap's dials in (t − W, t].
    /// </summary>
    private sealed class Oracle
    {
        public static readonly TimeSpan Grid = TimeSpan.FromMinutes(15);

        private readonly EligibilityFacts _facts;
        private readonly DailyRanges[] _window;
        private readonly DailyRanges[][] _legal;
        private readonly FrequencyLimit[] _caps;

        public Oracle(EligibilityFacts facts)
        {
            _facts = facts;
            var zones = facts.Callee.Zones;
            _window = facts.Window is not { } w ? []
                : w.TimeZone == Campaign.CalleeZone ? [.. zones.Select(z => new DailyRanges(z, w.Days, w.Ranges))]
                : [new DailyRanges(w.TimeZone, w.Days, w.Ranges)];
            _legal = [.. facts.LegalRules.Where(r => r.Hours.Count > 0).SelectMany(r => zones.Select(z =>
                r.Hours.Select(h => new DailyRanges(z, h.Days, [new TimeRange(h.Start, h.End)])).ToArray()))];
            _caps = [.. facts.LegalRules.Select(r => r.Frequency).Append(facts.AccountCap).OfType<FrequencyLimit>()];
            LowerBound = new[] { facts.Earliest, facts.CampaignStartAt }.Where(t => t is not null).Max();
        }

        public DateTimeOffset? LowerBound { get; }

        public bool Allowed(DateTimeOffset t) => LowerOk(t) && CapsOk(t) && WindowOk(t) && LegalOk(t);

        private bool LowerOk(DateTimeOffset t) => LowerBound is not { } lb || t >= lb;

        private bool CapsOk(DateTimeOffset t) =>
            _caps.All(cap => _facts.DialTimes.Count(d => d > t - TimeSpan.FromSeconds(cap.WindowSec) && d <= t) < cap.MaxAttempts);

        private bool WindowOk(DateTimeOffset t) => _window.All(w => w.Contains(t));

        private bool LegalOk(DateTimeOffset t) => _legal.All(blocks => blocks.Any(b => b.Contains(t)));

        /// <summary>Codes of the constraints that do not allow <paramref name="t"/>.</summary>
        public IReadOnlyCollection<string> FailingCodes(DateTimeOffset t)
        {
            var codes = new HashSet<string>();
            if (!LowerOk(t))
            {
                codes.Add(_facts.CampaignStartAt is { } s && s == LowerBound ? "campaign_not_started" : _facts.EarliestCode);
            }
            if (!WindowOk(t))
            {
                codes.Add("outside_window");
            }
            if (!LegalOk(t))
            {
                codes.Add("legal_quiet_hours");
            }
            if (!CapsOk(t))
            {
                codes.Add("frequency_cap");
            }
            return codes;
        }

        /// <summary>The first allowed instant among <paramref name="from"/> and the breakpoints in (from, to), or null.</summary>
        public DateTimeOffset? FirstAllowed(DateTimeOffset from, DateTimeOffset to)
        {
            var extra = new[] { _facts.Earliest, _facts.CampaignStartAt }.OfType<DateTimeOffset>()
                .Concat(_caps.SelectMany(cap => _facts.DialTimes.Select(d => d.AddSeconds(cap.WindowSec))))
                .Where(t => t > from && t < to);
            var grid = new List<DateTimeOffset>();
            for (var ticks = (from.UtcTicks / Grid.Ticks + 1) * Grid.Ticks; ticks < to.UtcTicks; ticks += Grid.Ticks)
            {
                grid.Add(new DateTimeOffset(ticks, TimeSpan.Zero));
            }
            return grid.Concat(extra).Prepend(from).Order().Cast<DateTimeOffset?>().FirstOrDefault(t => Allowed(t!.Value));
        }
    }

    /// <summary>
    /// A window's ranges in one zone: t is inside when, for its local date d or d − 1, that date's weekday is allowed and
    /// a range resolved on it contains t. Local times resolve to the earlier instant in an overlap and to the instant
    /// the gap ends in a gap; an end not after the start falls on the next date.
    /// </summary>
    private sealed class DailyRanges(string zoneId, IReadOnlyList<IsoDayOfWeek> days, IReadOnlyList<TimeRange> ranges)
    {
        private static readonly ZoneLocalMappingResolver Resolver =
            Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);

        private readonly DateTimeZone _zone = DateTimeZoneProviders.Tzdb[zoneId];
        private readonly Dictionary<LocalDate, (Instant Start, Instant End)[]> _byDate = [];

        public bool Contains(DateTimeOffset at)
        {
            var t = Instant.FromDateTimeOffset(at);
            var date = t.InZone(_zone).Date;
            return On(date).Any(r => r.Start <= t && t < r.End) || On(date.PlusDays(-1)).Any(r => r.Start <= t && t < r.End);
        }

        private (Instant Start, Instant End)[] On(LocalDate date)
        {
            if (!_byDate.TryGetValue(date, out var resolved))
            {
                resolved = !days.Contains(date.DayOfWeek) ? [] : [.. ranges.Select(r => (
                    _zone.ResolveLocal(date + r.Start, Resolver).ToInstant(),
                    _zone.ResolveLocal((r.End <= r.Start ? date.PlusDays(1) : date) + r.End, Resolver).ToInstant()))];
                _byDate[date] = resolved;
            }
            return resolved;
        }
    }
}
