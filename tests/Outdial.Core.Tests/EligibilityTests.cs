using NodaTime;
using Outdial.Core.Agents;
using Outdial.Core.Campaigns;
using Outdial.Core.Compliance;

namespace Outdial.Core.Tests;

/// <summary>
/// Examples for <see cref="Eligibility.Evaluate"/>, one behaviour each. The generated cases live in
/// <c>Compliance/EligibilityPropertyTests.cs</c>. Dates: 2026-01-14 is a Wednesday, 2026-01-18 a Sunday; in January
/// New York is UTC−5 and Los Angeles UTC−8.
/// </summary>
public class EligibilityTests
{
    private static readonly IsoDayOfWeek[] Weekdays =
        [IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday];

    private static readonly IsoDayOfWeek[] EveryDay = [.. Weekdays, IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday];

    /// <summary>Mon–Fri 09:00–17:00 New York = 14:00–22:00 UTC in January.</summary>
    private static readonly CallingWindow NewYorkOfficeHours = new("America/New_York", Weekdays, [Range(9, 17)]);

    private static readonly CalleeLocation NewYorkCallee = new("US", "US-NY", ["America/New_York"], "area_code");

    private static readonly CalleeLocation NewYorkOrLosAngeles = new("US", null, ["America/New_York", "America/Los_Angeles"], "country");

    private static readonly LegalRule TcpaHours = new()
    {
        Id = "us.federal.tcpa_hours",
        Region = "US",
        Title = "TCPA calling hours",
        Source = "47 CFR § 64.1200(c)(1)",
        Hours = [new AllowedHours(EveryDay, new LocalTime(8, 0), new LocalTime(21, 0))],
    };

    private static readonly DateTimeOffset InsideWindow = Utc(2026, 1, 14, 15); // Wed 10:00 EST
    private static readonly DateTimeOffset BeforeOpening = Utc(2026, 1, 14, 12); // Wed 07:00 EST
    private static readonly DateTimeOffset Opening = Utc(2026, 1, 14, 14); // Wed 09:00 EST

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    private static TimeRange Range(int startHour, int endHour) => new(new LocalTime(startHour, 0), new LocalTime(endHour, 0));

    private static EligibilityFacts Fine() => new() { Callee = NewYorkCallee, Window = NewYorkOfficeHours };

    private static DncEntry Dnc(bool optOut) =>
        new("acc_1", "+12125550100", optOut ? "customer asked" : null, "api", optOut, Utc(2026, 1, 1, 0));

    private static string[] Codes(EligibilityVerdict v) => [.. v.Reasons.Select(r => r.Code)];

    [Fact]
    public void Evaluate_EverythingFineInsideWindow_DialsNowWithNoReasons()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine());

        Assert.Equal(EligibilityAction.Dial, v.Action);
        Assert.True(v.Eligible);
        Assert.Equal(InsideWindow, v.NextEligibleAt);
        Assert.Empty(v.Reasons);
    }

    [Fact]
    public void Evaluate_NoConstraintsAtAll_DialsNow()
    {
        var v = Eligibility.Evaluate(BeforeOpening, new EligibilityFacts { Callee = NewYorkCallee });

        Assert.Equal(EligibilityAction.Dial, v.Action);
        Assert.Empty(v.Reasons);
    }

    [Fact]
    public void Evaluate_OnDnc_BlocksWithDncListed()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Dnc = Dnc(optOut: false) });

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Null(v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("dnc_listed", reason.Code);
        Assert.Equal("account.dnc", reason.Rule);
    }

    [Fact]
    public void Evaluate_OptOutWithCampaignDncCheckOff_StillBlocks()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Dnc = Dnc(optOut: true), DncEnabled = false });

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Equal(["dnc_listed"], Codes(v));
    }

    [Fact]
    public void Evaluate_PlainDncEntryWithCampaignDncCheckOff_Dials()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Dnc = Dnc(optOut: false), DncEnabled = false });

        Assert.Equal(EligibilityAction.Dial, v.Action);
        Assert.Empty(v.Reasons);
    }

    [Fact]
    public void Evaluate_ConsentProblem_BlocksWithNoConsentCarryingTheProblem()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { ConsentProblem = "no written consent on record" });

        Assert.Equal(EligibilityAction.Block, v.Action);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("no_consent", reason.Code);
        Assert.Equal("no written consent on record", reason.Detail);
    }

    [Fact]
    public void Evaluate_DuplicateOfPendingCall_BlocksWithDuplicateActiveCall()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { DuplicateOfCallId = "call_123" });

        Assert.Equal(EligibilityAction.Block, v.Action);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("duplicate_active_call", reason.Code);
        Assert.Contains("call_123", reason.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_SeveralBlocksOutsideWindow_ListsEveryReason()
    {
        var facts = Fine() with { Dnc = Dnc(optOut: false), ConsentProblem = "none", DuplicateOfCallId = "call_9" };

        var v = Eligibility.Evaluate(BeforeOpening, facts);

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Null(v.NextEligibleAt);
        Assert.Equal(["dnc_listed", "no_consent", "duplicate_active_call", "outside_window"], Codes(v));
    }

    [Fact]
    public void Evaluate_ExpiredBeforeNow_ExpiresWithoutNextEligibleAt()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { ExpiresAt = InsideWindow.AddMinutes(-1) });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Null(v.NextEligibleAt);
        Assert.Equal(["expired"], Codes(v));
    }

    [Fact]
    public void Evaluate_ExpiresExactlyNow_Expires()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { ExpiresAt = InsideWindow });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Equal(["expired"], Codes(v));
    }

    [Fact]
    public void Evaluate_ExpiresOneSecondFromNowInsideWindow_Dials()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { ExpiresAt = InsideWindow.AddSeconds(1) });

        Assert.Equal(EligibilityAction.Dial, v.Action);
    }

    [Fact]
    public void Evaluate_ExpiredAndOnDnc_BlocksListingExpiryFirst()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { ExpiresAt = InsideWindow.AddHours(-1), Dnc = Dnc(optOut: false) });

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Equal(["expired", "dnc_listed"], Codes(v));
    }

    [Fact]
    public void Evaluate_ExpiresBeforeNextOpening_ExpiresWithExpiresBeforeWindowAndThatOpening()
    {
        var v = Eligibility.Evaluate(BeforeOpening, Fine() with { ExpiresAt = Opening.AddHours(-1) });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Equal(Opening, v.NextEligibleAt);
        Assert.Equal(["expires_before_window", "outside_window"], Codes(v));
    }

    [Fact]
    public void Evaluate_ExpiresExactlyAtNextOpening_Expires()
    {
        var v = Eligibility.Evaluate(BeforeOpening, Fine() with { ExpiresAt = Opening });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Equal(Opening, v.NextEligibleAt);
    }

    [Fact]
    public void Evaluate_ExpiresJustAfterNextOpening_DefersToOpening()
    {
        var v = Eligibility.Evaluate(BeforeOpening, Fine() with { ExpiresAt = Opening.AddSeconds(1) });

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Opening, v.NextEligibleAt);
    }

    [Fact]
    public void Evaluate_CampaignEndedBeforeNow_ExpiresWithCampaignEnded()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { CampaignEndAt = InsideWindow.AddDays(-1), ExpiresAt = InsideWindow.AddDays(1) });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Null(v.NextEligibleAt);
        Assert.Equal(["campaign_ended"], Codes(v));
    }

    [Fact]
    public void Evaluate_CampaignEndsBeforeNextOpening_ExpiresWithCampaignEndedAndThatOpening()
    {
        var v = Eligibility.Evaluate(BeforeOpening, Fine() with { CampaignEndAt = Opening.AddMinutes(-30), WindowRule = "campaign.window" });

        Assert.Equal(EligibilityAction.Expire, v.Action);
        Assert.Equal(Opening, v.NextEligibleAt);
        Assert.Equal(["campaign_ended", "outside_window"], Codes(v));
    }

    [Fact]
    public void Evaluate_CampaignNotStartedInsideWindow_DefersToStart()
    {
        var start = InsideWindow.AddHours(2);

        var v = Eligibility.Evaluate(InsideWindow, Fine() with { CampaignStartAt = start });

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(start, v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("campaign_not_started", reason.Code);
        Assert.Equal("campaign.start", reason.Rule);
    }

    [Fact]
    public void Evaluate_CampaignStartsAfterWindowCloses_DefersToNextOpeningAfterStart()
    {
        var start = Utc(2026, 1, 14, 23); // Wed 18:00 EST, after the window closed

        var v = Eligibility.Evaluate(InsideWindow, Fine() with { CampaignStartAt = start });

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 15, 14), v.NextEligibleAt);
        Assert.Equal(["campaign_not_started"], Codes(v));
    }

    [Fact]
    public void Evaluate_NotBeforeInFutureInsideWindow_DefersToNotBefore()
    {
        var notBefore = InsideWindow.AddMinutes(20).AddSeconds(7);

        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Earliest = notBefore });

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(notBefore, v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("not_before", reason.Code);
        Assert.Equal("call.not_before", reason.Rule);
    }

    [Fact]
    public void Evaluate_RetryCooldown_ReportsItsOwnCode()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Earliest = InsideWindow.AddMinutes(5), EarliestCode = "retry_cooldown" });

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(["retry_cooldown"], Codes(v));
    }

    [Fact]
    public void Evaluate_NotBeforeLaterThanCampaignStart_NamesNotBefore()
    {
        var facts = Fine() with { CampaignStartAt = InsideWindow.AddMinutes(10), Earliest = InsideWindow.AddMinutes(30) };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(InsideWindow.AddMinutes(30), v.NextEligibleAt);
        Assert.Equal(["not_before"], Codes(v));
    }

    [Fact]
    public void Evaluate_NotBeforeInPast_Dials()
    {
        var v = Eligibility.Evaluate(InsideWindow, Fine() with { Earliest = InsideWindow.AddHours(-1) });

        Assert.Equal(EligibilityAction.Dial, v.Action);
    }

    [Fact]
    public void Evaluate_BeforeAgentWindowOpens_DefersToOpeningWithOutsideWindow()
    {
        var v = Eligibility.Evaluate(BeforeOpening, Fine());

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Opening, v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("outside_window", reason.Code);
        Assert.Equal("agent.window", reason.Rule);
    }

    [Fact]
    public void Evaluate_FridayAfterClose_DefersToMondayOpening()
    {
        var v = Eligibility.Evaluate(Utc(2026, 1, 16, 22), Fine()); // Fri 17:00 EST: the range is [09:00, 17:00)

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 19, 14), v.NextEligibleAt);
    }

    [Fact]
    public void Evaluate_CalleeZoneWindowOverTwoZones_DefersToIntersection()
    {
        // 09:00–17:00 in both New York (14:00–22:00 UTC) and Los Angeles (17:00–01:00 UTC): 17:00–22:00 UTC.
        var facts = new EligibilityFacts
        {
            Callee = NewYorkOrLosAngeles,
            Window = new CallingWindow(Campaign.CalleeZone, EveryDay, [Range(9, 17)]),
            WindowRule = "campaign.window",
        };

        var v = Eligibility.Evaluate(InsideWindow, facts); // NY 10:00, LA 07:00

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 14, 17), v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("outside_window", reason.Code);
        Assert.Equal("campaign.window", reason.Rule);
        Assert.Equal(EligibilityAction.Dial, Eligibility.Evaluate(Utc(2026, 1, 14, 21, 59, 59), facts).Action);
        Assert.Equal(Utc(2026, 1, 15, 17), Eligibility.Evaluate(Utc(2026, 1, 14, 22), facts).NextEligibleAt);
    }

    [Fact]
    public void Evaluate_CalleeZoneWindowWithNoCalleeZone_BlocksWithTimezoneUnknown()
    {
        var facts = new EligibilityFacts
        {
            Callee = new CalleeLocation(null, null, [], "unknown"),
            Window = new CallingWindow(Campaign.CalleeZone, EveryDay, [Range(9, 17)]),
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Null(v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("timezone_unknown", reason.Code);
        Assert.Equal("callee.timezone", reason.Rule);
    }

    [Fact]
    public void Evaluate_FixedZoneWindowWithNoCalleeZone_Dials()
    {
        var facts = Fine() with { Callee = new CalleeLocation(null, null, [], "unknown") };

        Assert.Equal(EligibilityAction.Dial, Eligibility.Evaluate(InsideWindow, facts).Action);
    }

    [Fact]
    public void Evaluate_LegalHoursWithNoCalleeZone_BlocksWithTimezoneUnknown()
    {
        var facts = Fine() with { Callee = new CalleeLocation("US", null, [], "unknown"), LegalRules = [TcpaHours] };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Equal(["timezone_unknown"], Codes(v));
    }

    [Fact]
    public void Evaluate_TwoZonesWithNoCommonWindowTime_BlocksWithTimezoneUnknown()
    {
        // 09:00–11:00 New York is 14:00–16:00 UTC; 09:00–11:00 Los Angeles is 17:00–19:00 UTC: never both.
        var facts = new EligibilityFacts
        {
            Callee = NewYorkOrLosAngeles,
            Window = new CallingWindow(Campaign.CalleeZone, EveryDay, [Range(9, 11)]),
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Null(v.NextEligibleAt);
        Assert.Equal("timezone_unknown", v.Reasons[0].Code);
        Assert.Equal("callee.timezone", v.Reasons[0].Rule);
    }

    [Fact]
    public void Evaluate_OneZoneWithWindowOutsideLegalHours_BlocksWithWindowEmpty()
    {
        var facts = new EligibilityFacts
        {
            Callee = NewYorkCallee,
            Window = new CallingWindow(Campaign.CalleeZone, EveryDay, [Range(22, 23)]),
            WindowRule = "campaign.window",
            LegalRules = [TcpaHours],
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Equal("window_empty", v.Reasons[0].Code);
        Assert.Equal("campaign.window", v.Reasons[0].Rule);
    }

    [Fact]
    public void Evaluate_BeforeLegalHours_DefersWithRuleIdAndSource()
    {
        var facts = new EligibilityFacts { Callee = NewYorkCallee, LegalRules = [TcpaHours] };

        var v = Eligibility.Evaluate(Utc(2026, 1, 14, 12, 30), facts); // 07:30 EST

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 14, 13), v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("legal_quiet_hours", reason.Code);
        Assert.Equal("us.federal.tcpa_hours", reason.Rule);
        Assert.Equal("47 CFR § 64.1200(c)(1)", reason.Source);
    }

    [Fact]
    public void Evaluate_LegalHoursInTwoZones_DefersUntilLegalInBothAndListsTheRuleOnce()
    {
        var facts = new EligibilityFacts { Callee = NewYorkOrLosAngeles, LegalRules = [TcpaHours] };

        var v = Eligibility.Evaluate(Utc(2026, 1, 14, 13), facts); // 08:00 New York, 05:00 Los Angeles

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 14, 16), v.NextEligibleAt); // 08:00 Los Angeles
        Assert.Equal(["legal_quiet_hours"], Codes(v));
    }

    [Fact]
    public void Evaluate_BeforeLegalHoursOnSpringForwardDay_DefersToLocalEightUnderTheNewOffset()
    {
        // 2026-03-08: New York moves from UTC−5 to UTC−4 at 02:00 local, so 08:00 is 12:00 UTC that day.
        var facts = new EligibilityFacts { Callee = NewYorkCallee, LegalRules = [TcpaHours] };

        var v = Eligibility.Evaluate(Utc(2026, 3, 8, 6, 30), facts); // 01:30 EST

        Assert.Equal(Utc(2026, 3, 8, 12), v.NextEligibleAt);
    }

    [Fact]
    public void Evaluate_QuarterHourOffsetZone_DefersToLocalOpening()
    {
        // Kathmandu is UTC+5:45 all year: 08:00 local is 02:15 UTC.
        var facts = new EligibilityFacts { Callee = new CalleeLocation("NP", null, ["Asia/Kathmandu"], "country"), LegalRules = [TcpaHours] };

        var v = Eligibility.Evaluate(Utc(2026, 1, 14, 0), facts);

        Assert.Equal(Utc(2026, 1, 14, 2, 15), v.NextEligibleAt);
        Assert.Equal(EligibilityAction.Dial, Eligibility.Evaluate(Utc(2026, 1, 14, 2, 15), facts).Action);
    }

    [Fact]
    public void Evaluate_LegalHoursUnion_UsesTheSundayBlockOnSunday()
    {
        var rule = TcpaHours with
        {
            Id = "us.state.sunday",
            Hours =
            [
                new AllowedHours([.. Weekdays, IsoDayOfWeek.Saturday], new LocalTime(9, 0), new LocalTime(21, 0)),
                new AllowedHours([IsoDayOfWeek.Sunday], new LocalTime(12, 0), new LocalTime(21, 0)),
            ],
        };
        var facts = new EligibilityFacts { Callee = NewYorkCallee, LegalRules = [rule] };

        Assert.Equal(Utc(2026, 1, 18, 17), Eligibility.Evaluate(Utc(2026, 1, 18, 15), facts).NextEligibleAt); // Sun 10:00 → 12:00
        Assert.Equal(EligibilityAction.Dial, Eligibility.Evaluate(Utc(2026, 1, 17, 15), facts).Action); // Sat 10:00
    }

    [Fact]
    public void Evaluate_AccountCapReached_DefersUntilOldestCountedDialLeavesTheWindow()
    {
        var facts = new EligibilityFacts
        {
            Callee = NewYorkCallee,
            AccountCap = new FrequencyLimit(2, 86_400),
            DialTimes = [InsideWindow.AddHours(-20), InsideWindow.AddHours(-2)],
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(InsideWindow.AddHours(4), v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("frequency_cap", reason.Code);
        Assert.Equal("account.frequency_cap", reason.Rule);
    }

    [Fact]
    public void Evaluate_MoreDialsThanTheCap_DefersUntilEnoughHaveLeft()
    {
        var facts = new EligibilityFacts
        {
            Callee = NewYorkCallee,
            AccountCap = new FrequencyLimit(2, 86_400),
            DialTimes = [InsideWindow.AddHours(-23), InsideWindow.AddHours(-22), InsideWindow.AddHours(-1)],
        };

        // Three counted; two must leave for fewer than two to remain: the second oldest leaves at now + 2 h.
        Assert.Equal(InsideWindow.AddHours(2), Eligibility.Evaluate(InsideWindow, facts).NextEligibleAt);
    }

    [Fact]
    public void Evaluate_DialExactlyOneWindowAgo_IsNoLongerCounted()
    {
        var facts = new EligibilityFacts
        {
            Callee = NewYorkCallee,
            AccountCap = new FrequencyLimit(2, 86_400),
            DialTimes = [InsideWindow.AddDays(-1), InsideWindow.AddHours(-1)],
        };

        Assert.Equal(EligibilityAction.Dial, Eligibility.Evaluate(InsideWindow, facts).Action);

        var oneSecondLater = facts with { DialTimes = [InsideWindow.AddDays(-1).AddSeconds(1), InsideWindow.AddHours(-1)] };
        var v = Eligibility.Evaluate(InsideWindow, oneSecondLater);
        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(InsideWindow.AddSeconds(1), v.NextEligibleAt);
    }

    [Fact]
    public void Evaluate_LegalRuleFrequencyCap_DefersWithRuleIdAndSource()
    {
        var rule = new LegalRule
        {
            Id = "us.fl.frequency",
            Region = "US-FL",
            Title = "Florida Telephone Solicitation Act",
            Source = "Fla. Stat. § 501.059(8)(b)",
            Frequency = new FrequencyLimit(3, 86_400),
        };
        var facts = new EligibilityFacts
        {
            Callee = new CalleeLocation("US", "US-FL", ["America/New_York"], "area_code"),
            LegalRules = [rule],
            DialTimes = [InsideWindow.AddHours(-10), InsideWindow.AddHours(-5), InsideWindow.AddMinutes(-1)],
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(InsideWindow.AddHours(14), v.NextEligibleAt);
        var reason = Assert.Single(v.Reasons);
        Assert.Equal("frequency_cap", reason.Code);
        Assert.Equal("us.fl.frequency", reason.Rule);
        Assert.Equal("Fla. Stat. § 501.059(8)(b)", reason.Source);
    }

    [Fact]
    public void Evaluate_CapReleasesAfterWindowCloses_DefersToNextDaysOpening()
    {
        var facts = Fine() with
        {
            AccountCap = new FrequencyLimit(1, 86_400),
            DialTimes = [Utc(2026, 1, 13, 23)], // released Wed 23:00 UTC, after the 22:00 UTC close
        };

        var v = Eligibility.Evaluate(InsideWindow, facts);

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 15, 14), v.NextEligibleAt);
        Assert.Equal(["frequency_cap"], Codes(v));
    }

    [Fact]
    public void Evaluate_SeveralConstraintsFailNow_ListsEachAndOnlyThose()
    {
        var facts = new EligibilityFacts
        {
            Callee = NewYorkOrLosAngeles,
            Window = NewYorkOfficeHours,
            LegalRules = [TcpaHours],
            Earliest = BeforeOpening.AddMinutes(10),
            AccountCap = new FrequencyLimit(1, 3_600),
            DialTimes = [BeforeOpening.AddMinutes(-30)],
            ExpiresAt = BeforeOpening.AddDays(3),
        };

        var v = Eligibility.Evaluate(BeforeOpening, facts); // 07:00 NY, 04:00 LA

        Assert.Equal(EligibilityAction.Defer, v.Action);
        Assert.Equal(Utc(2026, 1, 14, 16), v.NextEligibleAt); // 08:00 LA; NY window open since 14:00 UTC
        Assert.Equal(["not_before", "outside_window", "legal_quiet_hours", "frequency_cap"], Codes(v));

        var later = Eligibility.Evaluate(Utc(2026, 1, 14, 15), facts); // NY window open, LA still before 08:00
        Assert.Equal(["legal_quiet_hours"], Codes(later));
    }

    [Fact]
    public void Evaluate_WindowEmptyInEveryZoneAlone_IsWindowEmpty_NotTimezoneUnknown()
    {
        // 22:00–23:00 callee time against 08:00–21:00: no single zone could ever work, so the zone is not to blame.
        var facts = new EligibilityFacts
        {
            Callee = new CalleeLocation("US", null, ["America/Chicago", "America/New_York"], "country"),
            Window = new CallingWindow(Campaign.CalleeZone, EveryDay, [Range(22, 23)]),
            WindowRule = "campaign.window",
            LegalRules = [TcpaHours],
        };
        var v = Eligibility.Evaluate(InsideWindow, facts);
        Assert.Equal(EligibilityAction.Block, v.Action);
        Assert.Equal("window_empty", v.Reasons[0].Code);
        Assert.Equal("campaign.window", v.Reasons[0].Rule);
    }

    [Fact]
    public void Evaluate_LegalRulesThatNeverOverlap_BlameTheLegalFloorNotAWindow()
    {
        LegalRule Only(IsoDayOfWeek day, string id) => TcpaHours with { Id = id, Hours = [new AllowedHours([day], new LocalTime(8, 0), new LocalTime(9, 0))] };
        var facts = new EligibilityFacts { Callee = NewYorkCallee, LegalRules = [Only(IsoDayOfWeek.Sunday, "a"), Only(IsoDayOfWeek.Saturday, "b")] };
        var v = Eligibility.Evaluate(InsideWindow, facts);
        Assert.Equal("window_empty", v.Reasons[0].Code);
        Assert.Equal("legal_floor", v.Reasons[0].Rule);
    }

    [Fact]
    public void Evaluate_FrequencyCap_DialTimesInAnyOrder_GiveTheSameAnswer()
    {
        var now = InsideWindow;
        var cap = new FrequencyLimit(2, 86400);
        var sorted = Eligibility.Evaluate(now, Fine() with { AccountCap = cap, DialTimes = [now.AddHours(-22), now.AddHours(-20), now.AddHours(-1)] });
        var shuffled = Eligibility.Evaluate(now, Fine() with { AccountCap = cap, DialTimes = [now.AddHours(-1), now.AddHours(-22), now.AddHours(-20)] });
        Assert.Equal(now.AddHours(4), sorted.NextEligibleAt); // the −20 h dial leaves the window at +4 h, leaving one
        Assert.Equal(sorted.NextEligibleAt, shuffled.NextEligibleAt);
        Assert.Equal(Codes(sorted), Codes(shuffled));
    }
}
