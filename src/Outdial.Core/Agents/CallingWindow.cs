using NodaTime;
using NodaTime.TimeZones;

namespace Outdial.Core.Agents;

/// <summary>A daily time range in the window's zone; <see cref="End"/> before <see cref="Start"/> crosses midnight.</summary>
public sealed record TimeRange(LocalTime Start, LocalTime End);

/// <summary>
/// When calls may be placed: days of week and one or more local time ranges in an IANA time zone
/// (TZDB, via NodaTime). A range that starts on an allowed day and crosses midnight runs into the next day.
/// All instants in and out are UTC. A local time inside a DST gap (spring forward) resolves to the first valid
/// instant after the gap — for starts and ends alike, so a window never grows past its configured end; a local
/// time inside an overlap (fall back) takes its earlier occurrence.
/// </summary>
public sealed record CallingWindow(string TimeZone, IReadOnlyList<IsoDayOfWeek> Days, IReadOnlyList<TimeRange> Ranges)
{
    /// <summary>How far ahead <see cref="NextOpening"/> looks before declaring the window empty.</summary>
    private const int SearchDays = 9;

    /// <summary>Earlier occurrence in an overlap; the instant the gap ends in a gap.</summary>
    private static readonly ZoneLocalMappingResolver Resolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);

    /// <summary>
    /// The <see cref="TimeZone"/> value meaning "the callee's own zone": the window holds in every zone the callee's number may
    /// be in (<see cref="Compliance.CalleeZones"/>), or in the contact's explicit zone. Such a window is only evaluated through
    /// <see cref="Compliance.Eligibility"/>, which puts each possible zone in its place.
    /// </summary>
    public const string CalleeZone = "callee";

    /// <summary>Validation errors for this window (empty when valid): unknown zone, no days, no ranges, zero-length range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TimeZone != CalleeZone && DateTimeZoneProviders.Tzdb.GetZoneOrNull(TimeZone) is null)
        {
            errors.Add($"timeZone '{TimeZone}' is not an IANA time zone id (e.g. America/New_York) or \"callee\" (the callee's own zone)");
        }
        if (Days.Count == 0)
        {
            errors.Add("days must name at least one day (mon..sun)");
        }
        if (Ranges.Count == 0)
        {
            errors.Add("ranges must contain at least one {start, end} range");
        }
        if (Ranges.Any(r => r.Start == r.End))
        {
            errors.Add("a range's start and end must differ");
        }
        return errors;
    }

    /// <summary>
    /// The first UTC instant at or after <paramref name="from"/> inside the window, or null when the window has no
    /// opening in the next nine days (only possible for an invalid window).
    /// </summary>
    public DateTimeOffset? NextOpening(DateTimeOffset from)
    {
        var zone = DateTimeZoneProviders.Tzdb[TimeZone];
        var instant = Instant.FromDateTimeOffset(from);
        var firstDay = instant.InZone(zone).Date.PlusDays(-1);
        Instant? best = null;
        for (var d = 0; d <= SearchDays; d++)
        {
            var date = firstDay.PlusDays(d);
            // Every range of a later day starts at or after that day's first instant: once the best candidate is no later,
            // no later day can beat it.
            if (best is { } b && b <= zone.AtStartOfDay(date).ToInstant())
            {
                break;
            }
            foreach (var (start, end) in Intervals(zone, date, 1))
            {
                if (end <= instant)
                {
                    continue;
                }
                var candidate = start <= instant ? instant : start;
                if (best is null || candidate < best)
                {
                    best = candidate;
                }
            }
        }
        return best?.ToDateTimeOffset();
    }

    /// <summary>True when <paramref name="at"/> (UTC) is inside the window.</summary>
    public bool IsOpen(DateTimeOffset at) => NextOpening(at) == at;

    private IEnumerable<(Instant Start, Instant End)> Intervals(DateTimeZone zone, LocalDate firstDay, int days)
    {
        for (var d = 0; d < days; d++)
        {
            var date = firstDay.PlusDays(d);
            if (!Days.Contains(date.DayOfWeek))
            {
                continue;
            }
            foreach (var r in Ranges)
            {
                var start = zone.ResolveLocal(date + r.Start, Resolver).ToInstant();
                var endDate = r.End > r.Start ? date : date.PlusDays(1);
                var end = zone.ResolveLocal(endDate + r.End, Resolver).ToInstant();
                if (end > start)
                {
                    yield return (start, end);
                }
            }
        }
    }
}
