using Outdial.Core.Calls;

namespace Outdial.Core.Tests;

public class CallOutcomesTests
{
    [Theory]
    [InlineData(CallOutcome.Answered, "answered")]
    [InlineData(CallOutcome.Voicemail, "voicemail")]
    [InlineData(CallOutcome.Busy, "busy")]
    [InlineData(CallOutcome.NoAnswer, "no_answer")]
    [InlineData(CallOutcome.Rejected, "rejected")]
    [InlineData(CallOutcome.InvalidNumber, "invalid_number")]
    [InlineData(CallOutcome.Unreachable, "unreachable")]
    [InlineData(CallOutcome.Error, "error")]
    public void ToWire_IsSnakeCase_AndTryParseRoundTrips(CallOutcome outcome, string wire)
    {
        Assert.Equal(wire, outcome.ToWire());
        Assert.True(CallOutcomes.TryParse(wire, out var parsed));
        Assert.Equal(outcome, parsed);
    }

    [Fact]
    public void TryParse_EveryValue_RoundTrips()
    {
        Assert.Equal(8, Enum.GetValues<CallOutcome>().Length);
        Assert.All(Enum.GetValues<CallOutcome>(), o =>
        {
            Assert.True(CallOutcomes.TryParse(o.ToWire(), out var parsed));
            Assert.Equal(o, parsed);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("NoAnswer")]
    [InlineData("no-answer")]
    [InlineData("BUSY")]
    [InlineData("temporarily_unavailable")]
    public void TryParse_AnythingButAWireName_ReturnsFalse(string? value)
    {
        Assert.False(CallOutcomes.TryParse(value, out _));
    }

    [Theory]
    [InlineData(CallOutcome.Answered, false)]
    [InlineData(CallOutcome.Voicemail, true)]
    [InlineData(CallOutcome.Busy, true)]
    [InlineData(CallOutcome.NoAnswer, true)]
    [InlineData(CallOutcome.Rejected, false)]
    [InlineData(CallOutcome.InvalidNumber, false)]
    [InlineData(CallOutcome.Unreachable, true)]
    [InlineData(CallOutcome.Error, true)]
    public void IsRetryable_OnlyOutcomesAnotherAttemptCouldChange(CallOutcome outcome, bool retryable)
    {
        Assert.Equal(retryable, outcome.IsRetryable());
    }
}
