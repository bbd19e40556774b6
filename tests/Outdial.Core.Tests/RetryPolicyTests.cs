using Outdial.Core.Calls;

namespace Outdial.Core.Tests;

public class RetryPolicyTests
{
    private static readonly RetryPolicy ThreeAttempts = new(3, new Dictionary<CallOutcome, int>());

    [Theory]
    [InlineData(CallOutcome.Busy)]
    [InlineData(CallOutcome.NoAnswer)]
    [InlineData(CallOutcome.Voicemail)]
    [InlineData(CallOutcome.Unreachable)]
    [InlineData(CallOutcome.Error)]
    public void ShouldRetry_RetryableOutcome_RetriesUntilMaxAttemptsMade(CallOutcome outcome)
    {
        Assert.True(ThreeAttempts.ShouldRetry(outcome, 1));
        Assert.True(ThreeAttempts.ShouldRetry(outcome, 2));
        Assert.False(ThreeAttempts.ShouldRetry(outcome, 3));
        Assert.False(ThreeAttempts.ShouldRetry(outcome, 4));
    }

    [Theory]
    [InlineData(CallOutcome.Answered)]
    [InlineData(CallOutcome.Rejected)]
    [InlineData(CallOutcome.InvalidNumber)]
    public void ShouldRetry_FinalOutcome_NeverRetries(CallOutcome outcome)
    {
        Assert.False(ThreeAttempts.ShouldRetry(outcome, 1));
        Assert.False(new RetryPolicy(RetryPolicy.MaxAllowedAttempts, new Dictionary<CallOutcome, int>()).ShouldRetry(outcome, 1));
    }

    [Fact]
    public void ShouldRetry_SinglePolicy_NeverRetries()
    {
        Assert.Equal(1, RetryPolicy.Single.MaxAttempts);
        Assert.All(Enum.GetValues<CallOutcome>(), o => Assert.False(RetryPolicy.Single.ShouldRetry(o, 1)));
    }

    [Theory]
    [InlineData(CallOutcome.Busy, 300)]
    [InlineData(CallOutcome.NoAnswer, 1800)]
    [InlineData(CallOutcome.Voicemail, 3600)]
    [InlineData(CallOutcome.Unreachable, 900)]
    [InlineData(CallOutcome.Error, 300)]
    public void CooldownAfter_NoOverride_UsesDocumentedDefault(CallOutcome outcome, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ThreeAttempts.CooldownAfter(outcome));
    }

    [Theory]
    [InlineData(CallOutcome.Answered)]
    [InlineData(CallOutcome.Rejected)]
    [InlineData(CallOutcome.InvalidNumber)]
    public void CooldownAfter_OutcomeWithoutDefault_FallsBackToFiveMinutes(CallOutcome outcome)
    {
        Assert.Equal(TimeSpan.FromMinutes(5), ThreeAttempts.CooldownAfter(outcome));
    }

    [Fact]
    public void CooldownAfter_Override_ReplacesDefaultForThatOutcomeOnly()
    {
        var policy = new RetryPolicy(3, new Dictionary<CallOutcome, int> { [CallOutcome.Busy] = 60, [CallOutcome.Rejected] = 7 });
        Assert.Equal(TimeSpan.FromSeconds(60), policy.CooldownAfter(CallOutcome.Busy));
        Assert.Equal(TimeSpan.FromSeconds(7), policy.CooldownAfter(CallOutcome.Rejected));
        Assert.Equal(TimeSpan.FromSeconds(1800), policy.CooldownAfter(CallOutcome.NoAnswer));
    }

    [Fact]
    public void CooldownAfter_OverrideOfZero_IsHonoured()
    {
        var policy = new RetryPolicy(2, new Dictionary<CallOutcome, int> { [CallOutcome.NoAnswer] = 0 });
        Assert.Equal(TimeSpan.Zero, policy.CooldownAfter(CallOutcome.NoAnswer));
    }
}
