using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Core.Tests;

public class CallProgressAdvanceTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 14, 15, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Created.AddMinutes(5);

    private static Attempt Dialing(string? providerCallId = "CA1") => new()
    {
        Id = "att_1",
        CallId = "call_1",
        AccountId = "acct_1",
        Number = 1,
        Provider = "sandbox",
        ProviderCallId = providerCallId,
        Status = AttemptStatus.Dialing,
        To = "+15551234567",
        From = "+15557654321",
        CreatedAt = Created,
        UpdatedAt = Created,
        Version = 3,
    };

    private static ProviderEvent Report(ProviderEventKind kind, int secondsAfterCreate, string providerCallId = "CA1") => new()
    {
        Provider = "sandbox",
        ProviderCallId = providerCallId,
        Kind = kind,
        Sequence = (int)kind,
        At = Created.AddSeconds(secondsAfterCreate),
        ProviderStatus = kind.ToString().ToLowerInvariant(),
    };

    [Fact]
    public void Advance_RingingAfterDialing_SetsRingingAt()
    {
        var next = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Ringing, 2), Now);

        Assert.NotNull(next);
        Assert.Equal(AttemptStatus.Ringing, next.Status);
        Assert.Equal(Created.AddSeconds(2), next.RingingAt);
        Assert.Equal(Now, next.UpdatedAt);
        Assert.Equal(4, next.Version);
        Assert.Equal("ringing", next.ProviderStatus);
        Assert.Null(next.AnsweredAt);
        Assert.Null(next.Outcome);
    }

    [Fact]
    public void Advance_DuplicateRinging_ReturnsNull()
    {
        var ringing = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Ringing, 2), Now)!;
        Assert.Null(CallProgress.Advance(ringing, Report(ProviderEventKind.Ringing, 2), Now.AddSeconds(1)));
    }

    [Fact]
    public void Advance_InitiatedAfterDialingWithKnownId_ReturnsNull()
    {
        Assert.Null(CallProgress.Advance(Dialing(), Report(ProviderEventKind.Initiated, 0), Now));
    }

    [Fact]
    public void Advance_AnsweredByMachine_MovesToInProgressWithMachine()
    {
        var ringing = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Ringing, 2), Now)!;
        var next = CallProgress.Advance(ringing, Report(ProviderEventKind.Answered, 6) with { AnsweredBy = AnsweredBy.Machine }, Now);

        Assert.NotNull(next);
        Assert.Equal(AttemptStatus.InProgress, next.Status);
        Assert.Equal(AnsweredBy.Machine, next.AnsweredBy);
        Assert.Equal(Created.AddSeconds(6), next.AnsweredAt);
        Assert.Equal(Created.AddSeconds(2), next.RingingAt);
        Assert.Equal(5, next.Version);
    }

    [Fact]
    public void Advance_AnsweredWithoutAmdVerdict_RecordsUnknown()
    {
        var next = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 6), Now);
        Assert.Equal(AnsweredBy.Unknown, next!.AnsweredBy);
    }

    [Fact]
    public void Advance_AnsweredStraightFromDialing_SkipsRinging()
    {
        var next = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 6) with { AnsweredBy = AnsweredBy.Human }, Now);
        Assert.Equal(AttemptStatus.InProgress, next!.Status);
        Assert.Null(next.RingingAt);
    }

    [Fact]
    public void Advance_Completed_SetsOutcomeCodesDurationAndEndedAt()
    {
        var answered = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 6) with { AnsweredBy = AnsweredBy.Human }, Now)!;
        var completed = Report(ProviderEventKind.Completed, 40) with
        {
            EndStatus = CallEndStatus.Completed,
            SipCode = 200,
            Q850Code = 16,
            DurationSec = 34,
            ProviderStatus = "completed",
        };

        var next = CallProgress.Advance(answered, completed, Now.AddMinutes(1));

        Assert.NotNull(next);
        Assert.Equal(AttemptStatus.Completed, next.Status);
        Assert.Equal(CallOutcome.Answered, next.Outcome);
        Assert.Equal(200, next.SipCode);
        Assert.Equal(16, next.Q850Code);
        Assert.Equal(34, next.DurationSec);
        Assert.Equal(Created.AddSeconds(40), next.EndedAt);
        Assert.Equal(Now.AddMinutes(1), next.UpdatedAt);
        Assert.Equal("completed", next.ProviderStatus);
        Assert.Equal(AnsweredBy.Human, next.AnsweredBy); // kept from the answer when the completion has no verdict
        Assert.Equal(5, next.Version);
    }

    [Fact]
    public void Advance_CompletedWithoutAnswer_CarriesFailureCodes()
    {
        var completed = Report(ProviderEventKind.Completed, 2) with { Outcome = CallOutcome.Busy, SipCode = 486, Q850Code = 17 };
        var next = CallProgress.Advance(Dialing(), completed, Now);

        Assert.Equal(AttemptStatus.Completed, next!.Status);
        Assert.Equal(CallOutcome.Busy, next.Outcome);
        Assert.Equal(486, next.SipCode);
        Assert.Equal(17, next.Q850Code);
        Assert.Null(next.AnsweredBy);
        Assert.Null(next.AnsweredAt);
    }

    [Fact]
    public void Advance_CompletedWithoutOutcome_RecordsError()
    {
        var next = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Completed, 2), Now);
        Assert.Equal(CallOutcome.Error, next!.Outcome);
    }

    [Theory]
    [InlineData(ProviderEventKind.Initiated)]
    [InlineData(ProviderEventKind.Ringing)]
    [InlineData(ProviderEventKind.Answered)]
    [InlineData(ProviderEventKind.Completed)]
    public void Advance_AnyReportAfterCompleted_ReturnsNull(ProviderEventKind kind)
    {
        var completed = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Completed, 2) with { Outcome = CallOutcome.Busy }, Now)!;
        Assert.Null(CallProgress.Advance(completed, Report(kind, 1), Now.AddSeconds(5)));
    }

    [Fact]
    public void Advance_LateRingingAfterAnswered_ReturnsNull()
    {
        var answered = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 6), Now)!;
        Assert.Null(CallProgress.Advance(answered, Report(ProviderEventKind.Ringing, 2), Now));
    }

    [Fact]
    public void Advance_InitiatedWithProviderIdWhenMissing_FillsProviderCallIdOnly()
    {
        var attempt = Dialing(providerCallId: null) with { ProviderStatus = null };
        var next = CallProgress.Advance(attempt, Report(ProviderEventKind.Initiated, 0, "CA-new"), Now);

        Assert.NotNull(next);
        Assert.Equal("CA-new", next.ProviderCallId);
        Assert.Equal(AttemptStatus.Dialing, next.Status);
        Assert.Equal(4, next.Version);
        Assert.Equal(Now, next.UpdatedAt);
        Assert.Null(next.ProviderStatus); // a stale report does not overwrite the provider's status word
    }

    [Fact]
    public void Advance_StaleReportCarryingTheFirstProviderId_LearnsTheIdButKeepsState()
    {
        // E.g. a refused dial whose provider reference arrives only later in a callback.
        var completed = Dialing(providerCallId: null) with
        {
            Status = AttemptStatus.Completed,
            Outcome = CallOutcome.Busy,
            ProviderStatus = "busy",
            EndedAt = Created.AddSeconds(2),
        };

        var next = CallProgress.Advance(completed, Report(ProviderEventKind.Ringing, 1, "CA-late"), Now.AddSeconds(1));

        Assert.NotNull(next);
        Assert.Equal("CA-late", next.ProviderCallId);
        Assert.Equal(AttemptStatus.Completed, next.Status);
        Assert.Equal(CallOutcome.Busy, next.Outcome);
        Assert.Equal("busy", next.ProviderStatus);
        Assert.Null(next.RingingAt);
        Assert.Equal(completed.Version + 1, next.Version);
    }

    [Fact]
    public void Advance_ForwardReportWhenIdMissing_AlsoFillsProviderCallId()
    {
        var next = CallProgress.Advance(Dialing(providerCallId: null), Report(ProviderEventKind.Ringing, 1, "CA-9"), Now);
        Assert.Equal("CA-9", next!.ProviderCallId);
        Assert.Equal(AttemptStatus.Ringing, next.Status);
    }

    [Fact]
    public void Advance_KnownIdIsNeverReplacedByAnotherReportsId()
    {
        var next = CallProgress.Advance(Dialing("CA1"), Report(ProviderEventKind.Ringing, 1, "CA-other"), Now);
        Assert.Equal("CA1", next!.ProviderCallId);
    }

    [Fact]
    public void Advance_ReportWithoutProviderStatus_KeepsPreviousStatusWord()
    {
        var ringing = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Ringing, 1), Now)!;
        var next = CallProgress.Advance(ringing, Report(ProviderEventKind.Answered, 5) with { ProviderStatus = null }, Now);
        Assert.Equal("ringing", next!.ProviderStatus);
    }

    [Fact]
    public void Advance_EachAcceptedReport_IncrementsVersionByOne()
    {
        var a = Dialing();
        var versions = new List<int> { a.Version };
        foreach (var kind in new[] { ProviderEventKind.Ringing, ProviderEventKind.Answered, ProviderEventKind.Completed })
        {
            a = CallProgress.Advance(a, Report(kind, 1 + (int)kind), Now)!;
            versions.Add(a.Version);
        }
        Assert.Equal([3, 4, 5, 6], versions);
    }

    [Fact]
    public void Advance_LateAmdVerdict_RefinesWhoAnswered_WithoutMovingTheAttempt()
    {
        var answered = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 5), Now)!;
        Assert.Equal(AnsweredBy.Unknown, answered.AnsweredBy);

        var refined = CallProgress.Advance(answered, Report(ProviderEventKind.Answered, 9) with { AnsweredBy = AnsweredBy.Machine }, Now.AddSeconds(4));
        Assert.NotNull(refined);
        Assert.Equal(AttemptStatus.InProgress, refined.Status);
        Assert.Equal(AnsweredBy.Machine, refined.AnsweredBy);
        Assert.Equal(Created.AddSeconds(5), refined.AnsweredAt);

        // A known verdict is not overwritten, and an "unknown" one adds nothing.
        Assert.Null(CallProgress.Advance(refined, Report(ProviderEventKind.Answered, 10) with { AnsweredBy = AnsweredBy.Human }, Now.AddSeconds(5)));
        Assert.Null(CallProgress.Advance(answered, Report(ProviderEventKind.Answered, 10) with { AnsweredBy = AnsweredBy.Unknown }, Now.AddSeconds(5)));
    }

    [Fact]
    public void Advance_RecordingUrlAfterCompletion_IsKept_AndNothingElseChanges()
    {
        var completed = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Completed, 40) with { EndStatus = CallEndStatus.Completed }, Now)!;
        var recorded = CallProgress.Advance(completed, Report(ProviderEventKind.Initiated, 45) with { RecordingUrl = "https://example.test/RE1" }, Now.AddSeconds(1));
        Assert.NotNull(recorded);
        Assert.Equal("https://example.test/RE1", recorded.RecordingUrl);
        Assert.Equal(AttemptStatus.Completed, recorded.Status);
        Assert.Equal(CallOutcome.Answered, recorded.Outcome);
        Assert.Null(CallProgress.Advance(recorded, Report(ProviderEventKind.Initiated, 46) with { RecordingUrl = "https://example.test/RE1" }, Now.AddSeconds(2)));
    }

    [Fact]
    public void Advance_AnsweredEnd_OfAnAttemptAMachineAnswered_IsVoicemail()
    {
        var answered = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 5) with { AnsweredBy = AnsweredBy.Machine }, Now)!;
        var ended = CallProgress.Advance(answered, Report(ProviderEventKind.Completed, 20) with { EndStatus = CallEndStatus.Completed }, Now.AddSeconds(15))!;
        Assert.Equal(CallOutcome.Voicemail, ended.Outcome);
        Assert.Equal(AnsweredBy.Machine, ended.AnsweredBy);

        var human = CallProgress.Advance(Dialing(), Report(ProviderEventKind.Answered, 5) with { AnsweredBy = AnsweredBy.Human }, Now)!;
        Assert.Equal(CallOutcome.Answered,
            CallProgress.Advance(human, Report(ProviderEventKind.Completed, 20) with { EndStatus = CallEndStatus.Completed }, Now.AddSeconds(15))!.Outcome);
    }
}
