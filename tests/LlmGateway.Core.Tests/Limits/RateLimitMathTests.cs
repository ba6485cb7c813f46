using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Limits;

/// <summary>Checks the closed forms for RetryAfter and ResetAfter against the definition, over many random states:
/// with no new requests, the amount fits exactly from RetryAfter on, and the bucket is full exactly from ResetAfter on.</summary>
public sealed class RateLimitMathTests
{
    private const long W = RateLimitMath.WindowMs;
    private const long Window = 29_000_000;

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public void RetryAfterMs_IsTheFirstMillisecondTheAmountFits(RateLimitStrategy strategy)
    {
        var random = new Random(6);
        var checkedStates = 0;
        for (var i = 0; i < 2000; i++)
        {
            var (counter, now, limit) = RandomState(random, strategy);
            var amount = random.NextInt64(1, limit + 1);
            RateLimitMath.Advance(strategy, ref counter, now, limit);
            if (RateLimitMath.Fits(strategy, counter, now, limit, amount))
            {
                continue;
            }

            var retry = RateLimitMath.RetryAfterMs(strategy, counter, now, limit, amount);

            retry.Should().BePositive();
            FitsAt(strategy, counter, now + retry, limit, amount).Should().BeTrue($"it fits after {retry} ms ({Describe(counter, now, limit, amount)})");
            FitsAt(strategy, counter, now + retry - 1, limit, amount).Should().BeFalse($"it does not fit 1 ms before ({Describe(counter, now, limit, amount)})");
            checkedStates++;
        }

        checkedStates.Should().BeGreaterThan(500);
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public void StateOf_ResetAfter_IsWhenTheBucketIsFullAgain(RateLimitStrategy strategy)
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var (counter, now, limit) = RandomState(random, strategy);
            RateLimitMath.Advance(strategy, ref counter, now, limit);

            var reset = (long)RateLimitMath.StateOf(strategy, counter, now, limit).ResetAfter.TotalMilliseconds;

            var atReset = StateAt(strategy, counter, now + reset, limit);
            atReset.ResetAfter.Should().Be(TimeSpan.Zero, Describe(counter, now, limit, 0));
            atReset.Remaining.Should().Be(limit);
            if (reset > 0)
            {
                StateAt(strategy, counter, now + reset - 1, limit).ResetAfter.Should().Be(TimeSpan.FromMilliseconds(1), Describe(counter, now, limit, 0));
            }
        }
    }

    [Fact]
    public void Settle_ToTheCurrentAndPreviousWindow_ClampsAtZero()
    {
        var counter = new RateLimitCounter { Window = Window, Current = 3, Previous = 4 };
        var now = (Window * W) + 10;

        RateLimitMath.Settle(RateLimitStrategy.SlidingWindow, ref counter, now, 10, -5, Window);
        RateLimitMath.Settle(RateLimitStrategy.SlidingWindow, ref counter, now, 10, 2, Window - 1);
        RateLimitMath.Settle(RateLimitStrategy.SlidingWindow, ref counter, now, 10, 100, Window - 2);

        counter.Current.Should().Be(0);
        counter.Previous.Should().Be(6);
    }

    private static (RateLimitCounter Counter, long Now, long Limit) RandomState(Random random, RateLimitStrategy strategy)
    {
        var limit = random.NextInt64(1, 60);
        var now = (Window * W) + random.NextInt64(0, W);
        var counter = strategy == RateLimitStrategy.TokenBucket
            ? new RateLimitCounter { HasLevel = true, LevelAtMs = now, Level = random.NextInt64(-limit * W, (limit * W) + 1) }
            : new RateLimitCounter { Window = Window, Current = random.NextInt64(0, limit + 3), Previous = random.NextInt64(0, limit + 3) };
        return (counter, now, limit);
    }

    private static bool FitsAt(RateLimitStrategy strategy, RateLimitCounter counter, long now, long limit, long amount)
    {
        RateLimitMath.Advance(strategy, ref counter, now, limit);
        return RateLimitMath.Fits(strategy, counter, now, limit, amount);
    }

    private static BucketState StateAt(RateLimitStrategy strategy, RateLimitCounter counter, long now, long limit)
    {
        RateLimitMath.Advance(strategy, ref counter, now, limit);
        return RateLimitMath.StateOf(strategy, counter, now, limit);
    }

    private static string Describe(RateLimitCounter c, long now, long limit, long amount) =>
        $"window {c.Window} current {c.Current} previous {c.Previous} level {c.Level} at {now - (Window * W)} ms, limit {limit}, amount {amount}";
}
