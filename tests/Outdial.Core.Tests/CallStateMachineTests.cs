using Outdial.Core.Calls;

namespace Outdial.Core.Tests;

public class CallStateMachineTests
{
    private const CallStatus S = CallStatus.Scheduled;
    private const CallStatus Q = CallStatus.Queued;
    private const CallStatus D = CallStatus.Dialing;
    private const CallStatus R = CallStatus.Ringing;
    private const CallStatus P = CallStatus.InProgress;
    private const CallStatus E = CallStatus.Ended;
    private const CallStatus C = CallStatus.Canceled;
    private const CallStatus X = CallStatus.Expired;
    private const CallStatus B = CallStatus.Blocked;

    /// <summary>
    /// Every legal change, written out by hand from the documented rules: forward along
    /// scheduled → queued → dialing → ringing → in_progress → ended (ringing may be skipped); queued → scheduled (deferral);
    /// active → scheduled (next attempt); canceled from any non-terminal state; expired/blocked only from a pending state
    /// (they mean "not dialed", ARCHITECTURE §4); terminal states never change.
    /// </summary>
    private static readonly HashSet<(CallStatus From, CallStatus To)> Allowed =
    [
        (S, Q), (S, C), (S, X), (S, B),
        (Q, S), (Q, D), (Q, C), (Q, X), (Q, B),
        (D, S), (D, R), (D, P), (D, E), (D, C),
        (R, S), (R, P), (R, E), (R, C),
        (P, S), (P, E), (P, C),
    ];

    [Fact]
    public void CallStatus_HasTheNineDocumentedValues()
    {
        // If a status is added, the transition table below must be reviewed.
        Assert.Equal([S, Q, D, R, P, E, C, X, B], Enum.GetValues<CallStatus>());
    }

    [Fact]
    public void CanTransition_AllPairs_AllowExactlyTheDocumentedSet()
    {
        var mismatches = new List<string>();
        foreach (var from in Enum.GetValues<CallStatus>())
        {
            foreach (var to in Enum.GetValues<CallStatus>())
            {
                var expected = Allowed.Contains((from, to));
                if (CallStateMachine.CanTransition(from, to) != expected)
                {
                    mismatches.Add($"{from} -> {to}: expected {(expected ? "allowed" : "refused")}");
                }
            }
        }
        Assert.Empty(mismatches);
    }

    [Theory]
    [InlineData(CallStatus.Ended)]
    [InlineData(CallStatus.Canceled)]
    [InlineData(CallStatus.Expired)]
    [InlineData(CallStatus.Blocked)]
    public void CanTransition_FromTerminalState_IsAlwaysRefused(CallStatus terminal)
    {
        Assert.True(terminal.IsTerminal());
        Assert.All(Enum.GetValues<CallStatus>(), to => Assert.False(CallStateMachine.CanTransition(terminal, to)));
    }

    [Fact]
    public void CanTransition_ToSameStatus_IsRefused()
    {
        Assert.All(Enum.GetValues<CallStatus>(), s => Assert.False(CallStateMachine.CanTransition(s, s)));
    }

    [Fact]
    public void CanTransition_ScheduledStraightToDialing_IsRefused()
    {
        Assert.False(CallStateMachine.CanTransition(CallStatus.Scheduled, CallStatus.Dialing));
    }

    [Fact]
    public void CanTransition_QueuedToEnded_IsRefused()
    {
        // A call that was never dialed cannot have an outcome.
        Assert.False(CallStateMachine.CanTransition(CallStatus.Queued, CallStatus.Ended));
    }

    [Fact]
    public void Classification_ActiveTerminalPending_AreDisjointAndCoverEveryStatus()
    {
        Assert.Equal([D, R, P], Enum.GetValues<CallStatus>().Where(s => s.IsActive()));
        Assert.Equal([E, C, X, B], Enum.GetValues<CallStatus>().Where(s => s.IsTerminal()));
        Assert.Equal([S, Q], Enum.GetValues<CallStatus>().Where(s => s.IsPending()));
    }

    [Theory]
    [InlineData(CallStatus.Scheduled, "scheduled")]
    [InlineData(CallStatus.Queued, "queued")]
    [InlineData(CallStatus.Dialing, "dialing")]
    [InlineData(CallStatus.Ringing, "ringing")]
    [InlineData(CallStatus.InProgress, "in_progress")]
    [InlineData(CallStatus.Ended, "ended")]
    [InlineData(CallStatus.Canceled, "canceled")]
    [InlineData(CallStatus.Expired, "expired")]
    [InlineData(CallStatus.Blocked, "blocked")]
    public void ToWire_IsSnakeCase_AndTryParseRoundTrips(CallStatus status, string wire)
    {
        Assert.Equal(wire, status.ToWire());
        Assert.True(CallStateMachine.TryParse(wire, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Fact]
    public void TryParse_EveryValue_RoundTrips()
    {
        Assert.All(Enum.GetValues<CallStatus>(), s =>
        {
            Assert.True(CallStateMachine.TryParse(s.ToWire(), out var parsed));
            Assert.Equal(s, parsed);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("InProgress")]
    [InlineData("inprogress")]
    [InlineData("In_Progress")]
    [InlineData("QUEUED")]
    [InlineData(" queued")]
    [InlineData("0")]
    [InlineData("cancelled")]
    public void TryParse_AnythingButAWireName_ReturnsFalse(string? value)
    {
        Assert.False(CallStateMachine.TryParse(value, out _));
    }
}
