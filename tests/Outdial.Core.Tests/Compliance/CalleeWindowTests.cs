using NodaTime;
using Outdial.Core.Agents;
using Outdial.Core.Compliance;

namespace Outdial.Core.Tests.Compliance;

/// <summary>
/// A calling window in the callee's own zone (<c>timeZone: "callee"</c>) for numbers outside NANP, placed by libphonenumber:
/// each number is called in its own local hours, and a number that may be in several zones only when the window holds in all.
/// </summary>
public class CalleeWindowTests
{
    /// <summary>Monday 2026-12-07 (UTC); December: London UTC+0, Berlin +1, India +5:30, Sydney +11 (summer time).</summary>
    private static DateTimeOffset Monday(int hour, int minute = 0) => new(2026, 12, 7, hour, minute, 0, TimeSpan.Zero);

    private static readonly IsoDayOfWeek[] Weekdays = [IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday];

    private static EligibilityVerdict Evaluate(string e164, DateTimeOffset now, IsoDayOfWeek[] days, int fromHour, int toHour) =>
        Eligibility.Evaluate(now, new EligibilityFacts
        {
            Callee = CalleeZones.Resolve(e164),
            Window = new CallingWindow(CallingWindow.CalleeZone, days, [new TimeRange(new LocalTime(fromHour, 0), new LocalTime(toHour, 0))]),
        });

    [Theory]
    [InlineData("+442079460123", 8, 30, "2026-12-07T09:00:00Z")] // London 08:30: waits for 09:00 local = 09:00 UTC
    [InlineData("+4930901820", 8, 30, null)] // Berlin 09:30: now
    [InlineData("+919876543210", 8, 30, null)] // India 14:00: now
    [InlineData("+919876543210", 12, 0, "2026-12-08T03:30:00Z")] // India 17:30: Tuesday 09:00 IST
    [InlineData("+61212345678", 0, 0, null)] // Sydney 11:00: now
    [InlineData("+61212345678", 7, 0, "2026-12-07T22:00:00Z")] // Sydney 18:00 Monday: Tuesday 09:00 AEDT
    public void NumberOutsideNanp_IsCalledInItsOwnHours(string e164, int hour, int minute, string? next)
    {
        var verdict = Evaluate(e164, Monday(hour, minute), Weekdays, 9, 17);
        if (next is null)
        {
            Assert.Equal(EligibilityAction.Dial, verdict.Action);
        }
        else
        {
            Assert.Equal(EligibilityAction.Defer, verdict.Action);
            Assert.Equal(DateTimeOffset.Parse(next, System.Globalization.CultureInfo.InvariantCulture), verdict.NextEligibleAt);
            Assert.Equal("outside_window", verdict.Reasons[0].Code);
        }
    }

    [Fact]
    public void AustralianMobile_WaitsUntilTheWindowHoldsInAllEightZones()
    {
        // 09:00–20:00 every day. In December the zones run from Cocos (UTC+6:30) to Lord Howe (UTC+11): the window is open in
        // all of them from 09:00 in Cocos (02:30 UTC) until 20:00 on Lord Howe (09:00 UTC).
        IsoDayOfWeek[] everyDay = [.. Enum.GetValues<IsoDayOfWeek>().Where(d => d != IsoDayOfWeek.None)];
        var early = Evaluate("+61412345678", Monday(0), everyDay, 9, 20);
        Assert.Equal(EligibilityAction.Defer, early.Action);
        Assert.Equal(Monday(2, 30), early.NextEligibleAt);

        Assert.Equal(EligibilityAction.Dial, Evaluate("+61412345678", Monday(8, 59), everyDay, 9, 20).Action);

        var late = Evaluate("+61412345678", Monday(9, 0), everyDay, 9, 20);
        Assert.Equal(Monday(2, 30).AddDays(1), late.NextEligibleAt);

        // A Sydney landline is in one zone: open at 00:00 UTC (11:00 local), when the mobile is not.
        Assert.Equal(EligibilityAction.Dial, Evaluate("+61212345678", Monday(0), everyDay, 9, 20).Action);
    }

    [Fact]
    public void ExplicitZone_OverridesTheNumbersZones()
    {
        var verdict = Eligibility.Evaluate(Monday(0), new EligibilityFacts
        {
            Callee = CalleeZones.Resolve("+61412345678", "Australia/Perth"), // 08:00 in Perth
            Window = new CallingWindow(CallingWindow.CalleeZone, Weekdays, [new TimeRange(new LocalTime(9, 0), new LocalTime(17, 0))]),
        });
        Assert.Equal(Monday(1), verdict.NextEligibleAt);
    }

    [Fact]
    public void NumberWithNoZone_IsBlockedAsTimezoneUnknown()
    {
        var verdict = Evaluate("+80012345678", Monday(12), Weekdays, 9, 17); // international freephone: no country
        Assert.Equal(EligibilityAction.Block, verdict.Action);
        Assert.Equal("timezone_unknown", verdict.Reasons[0].Code);
    }

    [Fact]
    public void RefusedNumberType_Blocks_WithTheOperatorsRule()
    {
        var verdict = Eligibility.Evaluate(Monday(12), new EligibilityFacts { Callee = CalleeZones.Resolve("+19005550123"), RefusedNumberType = "premium_rate" });
        Assert.Equal(EligibilityAction.Block, verdict.Action);
        var reason = Assert.Single(verdict.Reasons);
        Assert.Equal(("number_type_refused", "operator.number_types"), (reason.Code, reason.Rule));
        Assert.Contains("premium-rate", reason.Detail, StringComparison.Ordinal);
    }
}
