using Outdial.Core.Dispatch;

namespace Outdial.Core.Tests;

public class PacingLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 14, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TryAcquire_FirstAcquire_Succeeds()
    {
        Assert.Null(new PacingLimiter().TryAcquire("+15550000000", 2, T0));
    }

    [Fact]
    public void TryAcquire_SecondAtSameInstant_ReturnsNowPlusSpacing()
    {
        var limiter = new PacingLimiter();
        limiter.TryAcquire("n", 2, T0);
        Assert.Equal(T0.AddMilliseconds(500), limiter.TryAcquire("n", 2, T0));
    }

    [Fact]
    public void TryAcquire_RefusedAttempt_DoesNotPushTheNextSlotFurther()
    {
        var limiter = new PacingLimiter();
        limiter.TryAcquire("n", 4, T0);
        Assert.Equal(T0.AddMilliseconds(250), limiter.TryAcquire("n", 4, T0));
        Assert.Equal(T0.AddMilliseconds(250), limiter.TryAcquire("n", 4, T0.AddMilliseconds(249)));
    }

    [Fact]
    public void TryAcquire_AfterSpacing_SucceedsAgainAndTakesTheNextSlot()
    {
        var limiter = new PacingLimiter();
        limiter.TryAcquire("n", 2, T0);
        Assert.Null(limiter.TryAcquire("n", 2, T0.AddMilliseconds(500)));
        Assert.Equal(T0.AddMilliseconds(1000), limiter.TryAcquire("n", 2, T0.AddMilliseconds(500)));
    }

    [Fact]
    public void TryAcquire_OneCallPerSecond_SpacesBySeconds()
    {
        var limiter = new PacingLimiter();
        limiter.TryAcquire("n", 1, T0);
        Assert.Equal(T0.AddSeconds(1), limiter.TryAcquire("n", 1, T0.AddMilliseconds(10)));
    }

    [Fact]
    public void TryAcquire_FractionalRate_SpacesByInverse()
    {
        var limiter = new PacingLimiter();
        limiter.TryAcquire("n", 0.5, T0);
        Assert.Equal(T0.AddSeconds(2), limiter.TryAcquire("n", 0.5, T0.AddSeconds(1)));
    }

    [Fact]
    public void TryAcquire_SeparateKeys_AreIndependent()
    {
        var limiter = new PacingLimiter();
        Assert.Null(limiter.TryAcquire("a", 1, T0));
        Assert.Null(limiter.TryAcquire("b", 1, T0));
        Assert.NotNull(limiter.TryAcquire("a", 1, T0));
        Assert.NotNull(limiter.TryAcquire("b", 1, T0));
    }

    [Fact]
    public void TryAcquire_KeysAreCaseSensitive()
    {
        var limiter = new PacingLimiter();
        Assert.Null(limiter.TryAcquire("key", 1, T0));
        Assert.Null(limiter.TryAcquire("KEY", 1, T0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void TryAcquire_NonPositiveRate_IsUnlimited(double cps)
    {
        var limiter = new PacingLimiter();
        Assert.Null(limiter.TryAcquire("n", cps, T0));
        Assert.Null(limiter.TryAcquire("n", cps, T0));
    }

    [Fact]
    public void TryAcquire_ConcurrentCallersAtOneInstant_OnlyOneGetsTheSlot()
    {
        var limiter = new PacingLimiter();
        var granted = 0;
        Parallel.For(0, 64, _ =>
        {
            if (limiter.TryAcquire("n", 1, T0) is null)
            {
                Interlocked.Increment(ref granted);
            }
        });
        Assert.Equal(1, granted);
    }
}
