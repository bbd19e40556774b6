using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Core.Tests;

/// <summary>The one outcome mapping (provider end status, SIP code, Q.850 cause, AMD verdict → outcome).</summary>
public class OutcomeMapperTests
{
    [Theory]
    [InlineData(AnsweredBy.Human, CallOutcome.Answered)]
    [InlineData(AnsweredBy.Unknown, CallOutcome.Answered)]
    [InlineData(null, CallOutcome.Answered)]
    [InlineData(AnsweredBy.Machine, CallOutcome.Voicemail)]
    public void Map_Completed_IsVoicemailOnlyWhenAMachineAnswered(AnsweredBy? by, CallOutcome expected) =>
        Assert.Equal(expected, OutcomeMapper.Map(CallEndStatus.Completed, by, 200, 16));

    [Theory]
    [InlineData(CallEndStatus.Busy, CallOutcome.Busy)]
    [InlineData(CallEndStatus.NoAnswer, CallOutcome.NoAnswer)]
    [InlineData(CallEndStatus.Canceled, CallOutcome.NoAnswer)]
    public void Map_StatusesThatNameTheirOutcome_IgnoreCodes(CallEndStatus status, CallOutcome expected) =>
        Assert.Equal(expected, OutcomeMapper.Map(status, AnsweredBy.Machine, 500, 41));

    [Theory]
    [InlineData(404, null, CallOutcome.InvalidNumber)]
    [InlineData(410, null, CallOutcome.InvalidNumber)]
    [InlineData(484, null, CallOutcome.InvalidNumber)]
    [InlineData(604, null, CallOutcome.InvalidNumber)]
    [InlineData(486, null, CallOutcome.Busy)]
    [InlineData(600, null, CallOutcome.Busy)]
    [InlineData(603, null, CallOutcome.Rejected)]
    [InlineData(480, null, CallOutcome.Unreachable)]
    [InlineData(408, null, CallOutcome.NoAnswer)]
    [InlineData(487, null, CallOutcome.NoAnswer)]
    [InlineData(500, 41, CallOutcome.Error)]
    [InlineData(null, 1, CallOutcome.InvalidNumber)]
    [InlineData(null, 28, CallOutcome.InvalidNumber)]
    [InlineData(null, 17, CallOutcome.Busy)]
    [InlineData(null, 19, CallOutcome.NoAnswer)]
    [InlineData(null, 21, CallOutcome.Rejected)]
    [InlineData(null, 20, CallOutcome.Unreachable)]
    [InlineData(503, 17, CallOutcome.Busy)] // a SIP code the table does not know falls back to the Q.850 cause
    [InlineData(null, null, CallOutcome.Error)]
    public void Map_Failed_BySipThenQ850(int? sip, int? q850, CallOutcome expected) =>
        Assert.Equal(expected, OutcomeMapper.Map(CallEndStatus.Failed, null, sip, q850));

    [Fact]
    public void Map_FailedWithBothCodes_SipWins() =>
        Assert.Equal(CallOutcome.Rejected, OutcomeMapper.Map(CallEndStatus.Failed, null, 603, 17));
}
