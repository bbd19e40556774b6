using NodaTime;
using Outdial.Core.Agents;
using Outdial.Core.Dispatch;

namespace Outdial.Core.Tests;

public class EligibilityTests
{
    /// <summary>Mon–Fri 09:00–17:00 New York = 14:00–22:00 UTC in January.</summary>
    private static readonly CallingWindow Window = new(
        "America/New_York",
        [IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday],
        [new TimeRange(new LocalTime(9, 0), new LocalTime(17, 0))]);

    private static readonly DateTimeOffset InsideWindow = new(2026, 1, 14, 15, 0, 0, TimeSpan.Zero); // Wed 10:00 EST
    private static readonly DateTimeOffset BeforeOpening = new(2026, 1, 14, 12, 0, 0, TimeSpan.Zero); // Wed 07:00 EST
    private static readonly DateTimeOffset Opening = new(2026, 1, 14, 14, 0, 0, TimeSpan.Zero); // Wed 09:00 EST

    private static EligibilityFacts Fine(DateTimeOffset now) => new(now, null, Window, OnDnc: false, ConsentSatisfied: true);

    [Fact]
    public void Evaluate_EverythingFineInsideWindow_DialsNow()
    {
        Assert.Equal(new EligibilityDecision.DialNow(), Eligibility.Evaluate(InsideWindow, Fine(InsideWindow)));
    }

    [Fact]
    public void Evaluate_NoWindowAndEarliestInPast_DialsNow()
    {
        var facts = Fine(InsideWindow.AddHours(-3)) with { Window = null };
        Assert.Equal(new EligibilityDecision.DialNow(), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_ExpiryLaterThanNowInsideWindow_DialsNow()
    {
        var facts = Fine(InsideWindow) with { ExpiresAt = InsideWindow.AddMinutes(1) };
        Assert.Equal(new EligibilityDecision.DialNow(), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_OnDnc_BlocksEvenWhenEverythingElseIsFine()
    {
        var facts = Fine(InsideWindow) with { OnDnc = true };
        Assert.Equal(new EligibilityDecision.Block("dnc"), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_OnDncWithoutConsentAndExpired_DncWins()
    {
        var facts = new EligibilityFacts(InsideWindow, InsideWindow.AddDays(-1), Window, OnDnc: true, ConsentSatisfied: false);
        Assert.Equal(new EligibilityDecision.Block("dnc"), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_ConsentMissing_Blocks()
    {
        var facts = Fine(InsideWindow) with { ConsentSatisfied = false };
        Assert.Equal(new EligibilityDecision.Block("consent_missing"), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_ConsentMissingAndExpired_ConsentWins()
    {
        var facts = Fine(InsideWindow) with { ConsentSatisfied = false, ExpiresAt = InsideWindow.AddHours(-1) };
        Assert.Equal(new EligibilityDecision.Block("consent_missing"), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_ExpiredInThePast_Expires()
    {
        var facts = Fine(InsideWindow) with { ExpiresAt = InsideWindow.AddMinutes(-1) };
        Assert.Equal(new EligibilityDecision.Expire("expired", null), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_ExpiresExactlyNow_Expires()
    {
        var facts = Fine(InsideWindow) with { ExpiresAt = InsideWindow };
        Assert.Equal(new EligibilityDecision.Expire("expired", null), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_NotBeforeInFutureInsideWindow_DefersToNotBefore()
    {
        var notBefore = InsideWindow.AddHours(1);
        var decision = Eligibility.Evaluate(InsideWindow, Fine(notBefore));
        Assert.Equal(new EligibilityDecision.Defer(notBefore, "not_before"), decision);
    }

    [Fact]
    public void Evaluate_NotBeforeInFutureWithoutWindow_DefersToNotBefore()
    {
        var notBefore = InsideWindow.AddDays(2);
        var decision = Eligibility.Evaluate(InsideWindow, Fine(notBefore) with { Window = null });
        Assert.Equal(new EligibilityDecision.Defer(notBefore, "not_before"), decision);
    }

    [Fact]
    public void Evaluate_OutsideWindow_DefersToOpening()
    {
        var decision = Eligibility.Evaluate(BeforeOpening, Fine(BeforeOpening));
        Assert.Equal(new EligibilityDecision.Defer(Opening, "outside_calling_window"), decision);
    }

    [Fact]
    public void Evaluate_NotBeforeFallsOutsideWindow_DefersToOpeningAfterNotBefore()
    {
        // Not before Wed 18:00 EST (23:00 UTC): the window is closed then; next opening Thu 09:00 EST = 14:00 UTC.
        var notBefore = new DateTimeOffset(2026, 1, 14, 23, 0, 0, TimeSpan.Zero);
        var decision = Eligibility.Evaluate(InsideWindow, Fine(notBefore));
        Assert.Equal(new EligibilityDecision.Defer(new DateTimeOffset(2026, 1, 15, 14, 0, 0, TimeSpan.Zero), "outside_calling_window"), decision);
    }

    [Fact]
    public void Evaluate_ExpiresBeforeNextOpening_ExpiresWithThatOpening()
    {
        var facts = Fine(BeforeOpening) with { ExpiresAt = Opening.AddMinutes(-30) };
        Assert.Equal(new EligibilityDecision.Expire("expires_before_window", Opening), Eligibility.Evaluate(BeforeOpening, facts));
    }

    [Fact]
    public void Evaluate_ExpiresExactlyAtNextOpening_Expires()
    {
        var facts = Fine(BeforeOpening) with { ExpiresAt = Opening };
        Assert.Equal(new EligibilityDecision.Expire("expires_before_window", Opening), Eligibility.Evaluate(BeforeOpening, facts));
    }

    [Fact]
    public void Evaluate_ExpiresAfterNextOpening_Defers()
    {
        var facts = Fine(BeforeOpening) with { ExpiresAt = Opening.AddMinutes(1) };
        Assert.Equal(new EligibilityDecision.Defer(Opening, "outside_calling_window"), Eligibility.Evaluate(BeforeOpening, facts));
    }

    [Fact]
    public void Evaluate_ExpiresBeforeNotBefore_Expires()
    {
        var notBefore = InsideWindow.AddHours(2);
        var facts = Fine(notBefore) with { ExpiresAt = InsideWindow.AddHours(1) };
        Assert.Equal(new EligibilityDecision.Expire("expires_before_not_before", notBefore), Eligibility.Evaluate(InsideWindow, facts));
    }

    [Fact]
    public void Evaluate_WindowWithNoOpening_ExpiresAsWindowEmpty()
    {
        var facts = Fine(InsideWindow) with { Window = Window with { Days = [] } };
        Assert.Equal(new EligibilityDecision.Expire("window_empty", null), Eligibility.Evaluate(InsideWindow, facts));
    }
}
