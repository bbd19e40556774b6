using NodaTime;
using Outdial.Core.Agents;

namespace Outdial.Core.Tests;

public class CallingWindowTests
{
    private static readonly IsoDayOfWeek[] Weekdays =
        [IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday];

    private static readonly IsoDayOfWeek[] EveryDay = [.. Weekdays, IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday];

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    private static TimeRange Range(int startHour, int startMinute, int endHour, int endMinute) =>
        new(new LocalTime(startHour, startMinute), new LocalTime(endHour, endMinute));

    /// <summary>Mon–Fri 09:00–17:00 New York. In January New York is UTC−5, so the window is 14:00–22:00 UTC.</summary>
    private static CallingWindow NewYorkOfficeHours() => new("America/New_York", Weekdays, [Range(9, 0, 17, 0)]);

    // 2026-01-12 is a Monday; 2026-01-14 a Wednesday; 2026-01-16 a Friday.

    [Fact]
    public void NextOpening_InsideWindow_ReturnsSameInstant()
    {
        var at = Utc(2026, 1, 14, 15, 30); // Wed 10:30 EST
        Assert.Equal(at, NewYorkOfficeHours().NextOpening(at));
        Assert.True(NewYorkOfficeHours().IsOpen(at));
    }

    [Fact]
    public void NextOpening_InputWithNonUtcOffset_IsTreatedAsTheSameInstant()
    {
        var at = new DateTimeOffset(2026, 1, 14, 7, 0, 0, TimeSpan.FromHours(-5)); // 07:00 EST = 12:00 UTC
        Assert.Equal(Utc(2026, 1, 14, 14), NewYorkOfficeHours().NextOpening(at));
    }

    [Fact]
    public void NextOpening_ReturnsUtcOffset()
    {
        var opening = NewYorkOfficeHours().NextOpening(Utc(2026, 1, 14, 12));
        Assert.Equal(TimeSpan.Zero, opening!.Value.Offset);
    }

    [Fact]
    public void NextOpening_BeforeOpening_ReturnsOpeningSameDay()
    {
        Assert.Equal(Utc(2026, 1, 14, 14), NewYorkOfficeHours().NextOpening(Utc(2026, 1, 14, 12))); // Wed 07:00 EST
        Assert.False(NewYorkOfficeHours().IsOpen(Utc(2026, 1, 14, 12)));
    }

    [Fact]
    public void NextOpening_ExactlyAtOpening_IsOpen()
    {
        Assert.True(NewYorkOfficeHours().IsOpen(Utc(2026, 1, 14, 14)));
        Assert.False(NewYorkOfficeHours().IsOpen(Utc(2026, 1, 14, 14).AddTicks(-1)));
    }

    [Fact]
    public void NextOpening_AfterClose_ReturnsNextAllowedDay()
    {
        Assert.Equal(Utc(2026, 1, 15, 14), NewYorkOfficeHours().NextOpening(Utc(2026, 1, 14, 23))); // Wed 18:00 EST
    }

    [Fact]
    public void NextOpening_ExactlyAtClose_IsClosedAndMovesToNextDay()
    {
        var close = Utc(2026, 1, 14, 22); // Wed 17:00 EST
        Assert.True(NewYorkOfficeHours().IsOpen(close.AddTicks(-1)));
        Assert.False(NewYorkOfficeHours().IsOpen(close));
        Assert.Equal(Utc(2026, 1, 15, 14), NewYorkOfficeHours().NextOpening(close));
    }

    [Fact]
    public void NextOpening_LateUtcButSameLocalDay_UsesLocalDate()
    {
        // Wed 2026-01-14 23:30 EST is already Thursday 04:30 UTC; the next opening is Thursday 09:00 EST.
        Assert.Equal(Utc(2026, 1, 15, 14), NewYorkOfficeHours().NextOpening(Utc(2026, 1, 15, 4, 30)));
    }

    [Fact]
    public void NextOpening_FridayAfterClose_SkipsWeekendToMonday()
    {
        Assert.Equal(Utc(2026, 1, 19, 14), NewYorkOfficeHours().NextOpening(Utc(2026, 1, 16, 22, 30))); // Fri 17:30 EST
    }

    [Theory]
    [InlineData(17, 15)] // Saturday 10:00 EST
    [InlineData(18, 20)] // Sunday 15:00 EST
    public void NextOpening_OnWeekend_ReturnsMondayOpening(int day, int utcHour)
    {
        var at = Utc(2026, 1, day, utcHour);
        Assert.False(NewYorkOfficeHours().IsOpen(at));
        Assert.Equal(Utc(2026, 1, 19, 14), NewYorkOfficeHours().NextOpening(at));
    }

    [Fact]
    public void NextOpening_OnlyOneDayAllowed_FindsItNextWeek()
    {
        var window = new CallingWindow("America/New_York", [IsoDayOfWeek.Tuesday], [Range(9, 0, 17, 0)]);
        // Wed 2026-01-14 → the next Tuesday is 2026-01-20.
        Assert.Equal(Utc(2026, 1, 20, 14), window.NextOpening(Utc(2026, 1, 14, 15)));
    }

    [Fact]
    public void NextOpening_UsesTheWindowsZone()
    {
        var window = new CallingWindow("Asia/Kolkata", EveryDay, [Range(9, 0, 17, 0)]); // UTC+05:30, no DST
        Assert.Equal(Utc(2026, 1, 14, 3, 30), window.NextOpening(Utc(2026, 1, 14, 0)));
    }

    [Fact]
    public void NextOpening_MultipleRanges_GapBetweenRangesMovesToSecondRange()
    {
        // Ranges listed out of order on purpose: 14:00–18:00 and 09:00–12:00 EST.
        var window = new CallingWindow("America/New_York", Weekdays, [Range(14, 0, 18, 0), Range(9, 0, 12, 0)]);
        Assert.Equal(Utc(2026, 1, 14, 14), window.NextOpening(Utc(2026, 1, 14, 12))); // 07:00 → 09:00
        Assert.True(window.IsOpen(Utc(2026, 1, 14, 16))); // 11:00
        Assert.Equal(Utc(2026, 1, 14, 19), window.NextOpening(Utc(2026, 1, 14, 17, 30))); // 12:30 → 14:00
        Assert.True(window.IsOpen(Utc(2026, 1, 14, 22))); // 17:00
        Assert.Equal(Utc(2026, 1, 15, 14), window.NextOpening(Utc(2026, 1, 14, 23, 30))); // 18:30 → Thu 09:00
    }

    /// <summary>Mon–Fri 22:00–02:00 New York (EST: 03:00–07:00 UTC the next UTC day).</summary>
    private static CallingWindow NightShift() => new("America/New_York", Weekdays, [Range(22, 0, 2, 0)]);

    [Fact]
    public void NextOpening_RangeCrossingMidnight_IsOpenLateEvening()
    {
        var at = Utc(2026, 1, 17, 4); // Fri 23:00 EST
        Assert.True(NightShift().IsOpen(at));
    }

    [Fact]
    public void NextOpening_RangeCrossingMidnight_EarlyMorningOfFollowingDayBelongsToPreviousDaysRange()
    {
        // Saturday is not an allowed day, but Saturday 01:30 EST is the tail of Friday's range.
        var at = Utc(2026, 1, 17, 6, 30);
        Assert.True(NightShift().IsOpen(at));
        Assert.Equal(at, NightShift().NextOpening(at));
    }

    [Fact]
    public void NextOpening_RangeCrossingMidnight_EndOfTailIsClosedAndNextOpeningIsNextAllowedEvening()
    {
        // Saturday 02:00 EST: Friday's range has ended; Sat and Sun are not allowed; Monday 22:00 EST = Tue 03:00 UTC.
        Assert.False(NightShift().IsOpen(Utc(2026, 1, 17, 7)));
        Assert.Equal(Utc(2026, 1, 20, 3), NightShift().NextOpening(Utc(2026, 1, 17, 7)));
    }

    [Fact]
    public void NextOpening_RangeCrossingMidnight_EarlyMorningAfterDisallowedDayIsClosed()
    {
        // Monday 01:00 EST would be the tail of Sunday's range, and Sunday is not allowed.
        Assert.False(NightShift().IsOpen(Utc(2026, 1, 19, 6)));
        Assert.Equal(Utc(2026, 1, 20, 3), NightShift().NextOpening(Utc(2026, 1, 19, 6)));
    }

    [Fact]
    public void NextOpening_RangeCrossingMidnight_EarlyMorningAfterAllowedDayIsOpen()
    {
        // Tuesday 01:00 EST is the tail of Monday's range.
        Assert.True(NightShift().IsOpen(Utc(2026, 1, 20, 6)));
    }

    [Fact]
    public void NextOpening_RangeEndingAtMidnight_RunsToMidnight()
    {
        var window = new CallingWindow("America/New_York", [IsoDayOfWeek.Wednesday], [Range(20, 0, 0, 0)]);
        Assert.True(window.IsOpen(Utc(2026, 1, 15, 4, 59))); // Wed 23:59 EST
        Assert.False(window.IsOpen(Utc(2026, 1, 15, 5))); // Thu 00:00 EST
    }

    [Fact]
    public void NextOpening_DayAfterSpringForward_UsesDaylightOffset()
    {
        // Fri 2026-03-06 after close (EST, UTC−5) → Mon 2026-03-09 09:00 EDT (UTC−4) = 13:00 UTC.
        Assert.Equal(Utc(2026, 3, 9, 13), NewYorkOfficeHours().NextOpening(Utc(2026, 3, 6, 23)));
    }

    [Fact]
    public void NextOpening_StartInsideSpringForwardGap_MovesToFirstValidInstant()
    {
        // 2026-03-08 02:00 EST jumps to 03:00 EDT in New York. 02:30 does not exist; the first valid instant after it
        // is 03:00 EDT = 07:00 UTC, and the range ends at 03:30 EDT = 07:30 UTC.
        var window = new CallingWindow("America/New_York", EveryDay, [Range(2, 30, 3, 30)]);
        var midnight = Utc(2026, 3, 8, 5); // 00:00 EST
        Assert.Equal(Utc(2026, 3, 8, 7), window.NextOpening(midnight));
        Assert.True(window.IsOpen(Utc(2026, 3, 8, 7, 15)));
        Assert.False(window.IsOpen(Utc(2026, 3, 8, 7, 30)));
    }

    [Fact]
    public void IsOpen_EndInsideSpringForwardGap_ClosesAtFirstValidInstant()
    {
        // Range 01:00–02:30 on 2026-03-08: opens 01:00 EST (06:00 UTC); 02:30 does not exist, so it closes at 03:00 EDT
        // (07:00 UTC). 03:15 EDT (07:15 UTC) is after the range.
        var window = new CallingWindow("America/New_York", EveryDay, [Range(1, 0, 2, 30)]);
        Assert.True(window.IsOpen(Utc(2026, 3, 8, 6, 30)));
        Assert.False(window.IsOpen(Utc(2026, 3, 8, 7, 15)));
    }

    [Fact]
    public void NextOpening_StartInsideSpringForwardGap_IsResolvedForwardNeverBackward()
    {
        // Whatever the resolution, the window must not open before the gap (i.e. at 01:30 EST = 06:30 UTC or earlier)
        // and must not open before the end of the gap at 03:00 EDT = 07:00 UTC.
        var window = new CallingWindow("America/New_York", EveryDay, [Range(2, 30, 5, 0)]);
        var opening = window.NextOpening(Utc(2026, 3, 8, 5));
        Assert.NotNull(opening);
        Assert.InRange(opening.Value, Utc(2026, 3, 8, 7), Utc(2026, 3, 8, 7, 30));
        Assert.True(window.IsOpen(Utc(2026, 3, 8, 8, 59))); // 04:59 EDT
        Assert.False(window.IsOpen(Utc(2026, 3, 8, 9))); // 05:00 EDT
    }

    [Fact]
    public void NextOpening_StartInsideFallBackOverlap_TakesEarlierOccurrence()
    {
        // 2026-11-01 01:00–02:00 happens twice in New York: first EDT (UTC−4), then EST (UTC−5).
        // 01:30 resolves to its earlier occurrence, 01:30 EDT = 05:30 UTC; 01:45 to 05:45 UTC.
        var window = new CallingWindow("America/New_York", EveryDay, [Range(1, 30, 1, 45)]);
        Assert.Equal(Utc(2026, 11, 1, 5, 30), window.NextOpening(Utc(2026, 11, 1, 4))); // 00:00 EDT
        Assert.True(window.IsOpen(Utc(2026, 11, 1, 5, 40)));
        Assert.False(window.IsOpen(Utc(2026, 11, 1, 5, 45)));
    }

    [Fact]
    public void NextOpening_SecondOccurrenceOfOverlapTime_IsOutsideWindow()
    {
        // 06:35 UTC is 01:35 EST, the second pass through 01:35; the window already ran (earlier occurrence), so the
        // next opening is the following day's 01:30 EST = 06:30 UTC.
        var window = new CallingWindow("America/New_York", EveryDay, [Range(1, 30, 1, 45)]);
        Assert.False(window.IsOpen(Utc(2026, 11, 1, 6, 35)));
        Assert.Equal(Utc(2026, 11, 2, 6, 30), window.NextOpening(Utc(2026, 11, 1, 6, 35)));
    }

    [Fact]
    public void NextOpening_RangeSpanningFallBack_IncludesTheRepeatedHour()
    {
        // 00:00–03:00 on 2026-11-01 is 04:00 UTC (EDT) to 08:00 UTC (EST): four real hours.
        var window = new CallingWindow("America/New_York", [IsoDayOfWeek.Sunday], [Range(0, 0, 3, 0)]);
        Assert.Equal(Utc(2026, 11, 1, 4), window.NextOpening(Utc(2026, 11, 1, 3)));
        Assert.True(window.IsOpen(Utc(2026, 11, 1, 7, 59)));
        Assert.False(window.IsOpen(Utc(2026, 11, 1, 8)));
    }

    [Fact]
    public void Validate_ValidWindow_HasNoErrors()
    {
        Assert.Empty(NewYorkOfficeHours().Validate());
        Assert.Empty(NightShift().Validate());
    }

    [Fact]
    public void Validate_UnknownZone_ReportsTimeZoneError()
    {
        var errors = new CallingWindow("Mars/Olympus_Mons", Weekdays, [Range(9, 0, 17, 0)]).Validate();
        Assert.Contains("timeZone", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WindowsStyleZoneName_IsRejected()
    {
        var errors = new CallingWindow("Eastern Standard Time", Weekdays, [Range(9, 0, 17, 0)]).Validate();
        Assert.Contains("timeZone", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoDays_ReportsDaysError()
    {
        var errors = new CallingWindow("America/New_York", [], [Range(9, 0, 17, 0)]).Validate();
        Assert.Contains("days", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoRanges_ReportsRangesError()
    {
        var errors = new CallingWindow("America/New_York", Weekdays, []).Validate();
        Assert.Contains("ranges", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ZeroLengthRange_ReportsError()
    {
        var errors = new CallingWindow("America/New_York", Weekdays, [Range(9, 0, 17, 0), Range(10, 0, 10, 0)]).Validate();
        Assert.Contains("start and end must differ", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEachProblem()
    {
        Assert.Equal(3, new CallingWindow("Nowhere/Nothing", [], []).Validate().Count);
    }

    [Fact]
    public void NextOpening_NoDays_ReturnsNull()
    {
        Assert.Null(new CallingWindow("America/New_York", [], [Range(9, 0, 17, 0)]).NextOpening(Utc(2026, 1, 14, 12)));
    }
}
