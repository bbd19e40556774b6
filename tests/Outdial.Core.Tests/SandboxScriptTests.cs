using Outdial.Core.Calls;
using Outdial.Core.Telephony;
using Outdial.Telephony.Sandbox;

namespace Outdial.Core.Tests;

public class SandboxScriptTests
{
    private const int RingTimeout = 25;
    private const int MaxDuration = 600;

    [Theory]
    [InlineData("+15551230001", CallOutcome.Busy, "busy", 486, 17, 2.0)]
    [InlineData("+15551230002", CallOutcome.NoAnswer, "no-answer", 487, 19, 1.0 + RingTimeout)]
    [InlineData("+15551230003", CallOutcome.Rejected, "rejected", 603, 21, 4.0)]
    [InlineData("+15551230004", CallOutcome.InvalidNumber, "failed", 404, 1, 0.5)]
    [InlineData("+15551230005", CallOutcome.Unreachable, "failed", 480, 20, 1.5)]
    [InlineData("+15551230007", CallOutcome.Error, "failed", 500, 41, 0.5)]
    [InlineData("+12125550101", CallOutcome.Busy, "busy", 486, 17, 2.0)] // fictional NANP 555-01XX: the last two digits choose
    [InlineData("+12125550105", CallOutcome.Unreachable, "failed", 480, 20, 1.5)]
    public void For_FailureSuffix_EndsWithThatOutcomeAndCarrierCodes(
        string to, CallOutcome outcome, string status, int sip, int q850, double atSec)
    {
        var script = SandboxScript.For(to, RingTimeout, MaxDuration);
        var last = script[^1];

        Assert.Equal(ProviderEventKind.Completed, last.Kind);
        Assert.Equal(outcome, last.Outcome);
        Assert.Equal(status, last.Status);
        Assert.Equal(sip, last.SipCode);
        Assert.Equal(q850, last.Q850Code);
        Assert.Equal(atSec, last.AtSec);
        Assert.Null(last.AnsweredBy);
        Assert.DoesNotContain(script, s => s.Kind == ProviderEventKind.Answered);
    }

    [Fact]
    public void For_NoAnswer_RingsUntilTheRingTimeout()
    {
        var script = SandboxScript.For("+15551230002", 40, MaxDuration);
        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Completed], script.Select(s => s.Kind));
        Assert.Equal(41, script[^1].AtSec);
    }

    [Theory]
    [InlineData(MaxDuration, MaxDuration)]
    [InlineData(12, 12)]
    public void For_Voicemail_AnsweredByMachineUntilHungUpOrTheMaxDuration(int maxDuration, int expectedDuration)
    {
        var script = SandboxScript.For("+15551230006", RingTimeout, maxDuration);
        var answered = Assert.Single(script, s => s.Kind == ProviderEventKind.Answered);
        var last = script[^1];

        Assert.Equal(AnsweredBy.Machine, answered.AnsweredBy);
        Assert.Equal(ProviderEventKind.Completed, last.Kind);
        Assert.Equal(CallOutcome.Voicemail, last.Outcome);
        Assert.Equal(AnsweredBy.Machine, last.AnsweredBy);
        Assert.Equal(200, last.SipCode);
        Assert.Equal(16, last.Q850Code);
        Assert.Equal(expectedDuration, last.DurationSec);
        Assert.Equal(answered.AtSec + expectedDuration, last.AtSec);
    }

    [Theory]
    [InlineData("+15551234567", MaxDuration, MaxDuration)]
    [InlineData("+15551234567", 10, 10)]
    [InlineData("+15551230008", MaxDuration, MaxDuration)]
    [InlineData("+15551230000", MaxDuration, MaxDuration)]
    [InlineData("+15550001000", MaxDuration, MaxDuration)] // contains 0001 but does not end with it
    [InlineData("+12125550123", MaxDuration, MaxDuration)] // fictional NANP, last two digits 23: a person
    public void For_OtherNumbers_AnsweredByHumanUntilHungUpOrTheMaxDuration(string to, int maxDuration, int expectedDuration)
    {
        var script = SandboxScript.For(to, RingTimeout, maxDuration);
        var answered = Assert.Single(script, s => s.Kind == ProviderEventKind.Answered);
        var last = script[^1];

        Assert.Equal(AnsweredBy.Human, answered.AnsweredBy);
        Assert.Equal(ProviderEventKind.Completed, last.Kind);
        Assert.Equal(CallOutcome.Answered, last.Outcome);
        Assert.Equal(AnsweredBy.Human, last.AnsweredBy);
        Assert.Equal(200, last.SipCode);
        Assert.Equal(16, last.Q850Code);
        Assert.Equal(expectedDuration, last.DurationSec);
        Assert.Equal(answered.AtSec + expectedDuration, last.AtSec);
    }

    [Theory]
    [InlineData("+15551230001")]
    [InlineData("+15551230002")]
    [InlineData("+15551230003")]
    [InlineData("+15551230004")]
    [InlineData("+15551230005")]
    [InlineData("+15551230006")]
    [InlineData("+15551230007")]
    [InlineData("+15551234567")]
    public void For_EveryScript_StartsInitiatedAtZeroIsOrderedAndHasExactlyOneCompletionLast(string to)
    {
        var script = SandboxScript.For(to, RingTimeout, MaxDuration);

        Assert.Equal(ProviderEventKind.Initiated, script[0].Kind);
        Assert.Equal(0, script[0].AtSec);
        Assert.Equal(ProviderEventKind.Completed, Assert.Single(script, s => s.Kind == ProviderEventKind.Completed).Kind);
        Assert.Equal(ProviderEventKind.Completed, script[^1].Kind);
        Assert.Equal(script.Select(s => s.AtSec).Order(), script.Select(s => s.AtSec));
        Assert.Equal(script.Select(s => s.Kind).Order(), script.Select(s => s.Kind)); // never moves backwards
    }

    [Fact]
    public void HungUp_BeforeAnswer_CompletesAsCanceledNoAnswer487()
    {
        var script = SandboxScript.For("+15551234567", RingTimeout, MaxDuration); // answered at 5 s
        var cut = SandboxScript.HungUp(script, 3);

        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Completed], cut.Select(s => s.Kind));
        var last = cut[^1];
        Assert.Equal(3, last.AtSec);
        Assert.Equal("canceled", last.Status);
        Assert.Equal(CallOutcome.NoAnswer, last.Outcome);
        Assert.Equal(487, last.SipCode);
        Assert.Null(last.DurationSec);
        Assert.Null(last.AnsweredBy);
    }

    [Fact]
    public void HungUp_BeforeAFailureCompletes_CompletesAsCanceled()
    {
        var cut = SandboxScript.HungUp(SandboxScript.For("+15551230002", RingTimeout, MaxDuration), 10);
        Assert.Equal(CallOutcome.NoAnswer, cut[^1].Outcome);
        Assert.Equal("canceled", cut[^1].Status);
        Assert.Equal(10, cut[^1].AtSec);
    }

    [Fact]
    public void HungUp_AfterHumanAnswer_CompletesAnsweredWithElapsedDuration()
    {
        var script = SandboxScript.For("+15551234567", RingTimeout, MaxDuration); // answered at 5 s
        var cut = SandboxScript.HungUp(script, 12.4);

        Assert.Equal([ProviderEventKind.Initiated, ProviderEventKind.Ringing, ProviderEventKind.Answered, ProviderEventKind.Completed],
            cut.Select(s => s.Kind));
        var last = cut[^1];
        Assert.Equal(12.4, last.AtSec);
        Assert.Equal("completed", last.Status);
        Assert.Equal(CallOutcome.Answered, last.Outcome);
        Assert.Equal(AnsweredBy.Human, last.AnsweredBy);
        Assert.Equal(200, last.SipCode);
        Assert.Equal(7, last.DurationSec);
    }

    [Fact]
    public void HungUp_AfterMachineAnswer_CompletesAsVoicemail()
    {
        var script = SandboxScript.For("+15551230006", RingTimeout, MaxDuration); // machine answers at 4 s
        var last = SandboxScript.HungUp(script, 10)[^1];

        Assert.Equal(CallOutcome.Voicemail, last.Outcome);
        Assert.Equal(AnsweredBy.Machine, last.AnsweredBy);
        Assert.Equal(6, last.DurationSec);
    }

    [Fact]
    public void HungUp_AfterTheCallAlreadyCompleted_LeavesTheScriptUnchanged()
    {
        var script = SandboxScript.For("+15551234567", RingTimeout, 30); // the time limit ends it at 35 s
        Assert.Equal(script, SandboxScript.HungUp(script, 100));
    }
}
