using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Limits;

public sealed class MemoryRateLimitStoreTests
{
    private const string Bucket = "key_1:rpm";
    private static readonly DateTimeOffset s_windowStart = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long s_firstWindow = s_windowStart.ToUnixTimeMilliseconds() / 60_000;

    private readonly FakeTimeProvider _time = new(s_windowStart);
    private readonly MemoryRateLimitStore _sut;

    public MemoryRateLimitStoreTests()
    {
        _sut = new MemoryRateLimitStore(_time);
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_LimitOfN_AllowsExactlyNThenRefuses(RateLimitStrategy strategy)
    {
        for (var i = 0; i < 5; i++)
        {
            var outcome = await Acquire(strategy, limit: 5);
            outcome.Allowed.Should().BeTrue();
            outcome.RefusedIndex.Should().Be(-1);
            outcome.States[0].Limit.Should().Be(5);
            outcome.States[0].Remaining.Should().Be(4 - i);
        }

        var refused = await Acquire(strategy, limit: 5);

        refused.Allowed.Should().BeFalse();
        refused.RefusedIndex.Should().Be(0);
        refused.States[0].Remaining.Should().Be(0);
        refused.RetryAfter.Should().BePositive();
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_AmountOverTheLimit_IsRefusedWithRetryAfterOneWindowAndTakesNothing(RateLimitStrategy strategy)
    {
        var outcome = await Acquire(strategy, limit: 10, amount: 11);

        outcome.Allowed.Should().BeFalse();
        outcome.RetryAfter.Should().Be(TimeSpan.FromSeconds(60));
        outcome.States[0].Remaining.Should().Be(10);
        (await Acquire(strategy, limit: 10, amount: 10)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task FixedWindow_StateAndRetryAfter_AreExact()
    {
        _time.Advance(TimeSpan.FromSeconds(20));

        var first = await Acquire(RateLimitStrategy.FixedWindow, limit: 3);
        await Acquire(RateLimitStrategy.FixedWindow, limit: 3);
        await Acquire(RateLimitStrategy.FixedWindow, limit: 3);
        var refused = await Acquire(RateLimitStrategy.FixedWindow, limit: 3);

        first.States[0].Should().Be(new BucketState(3, 2, TimeSpan.FromSeconds(40)));
        first.WindowIds[0].Should().Be(s_firstWindow);
        refused.Allowed.Should().BeFalse();
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(40));
        refused.States[0].Should().Be(new BucketState(3, 0, TimeSpan.FromSeconds(40)));

        _time.Advance(TimeSpan.FromSeconds(40) - TimeSpan.FromMilliseconds(1));
        (await Acquire(RateLimitStrategy.FixedWindow, limit: 3)).RetryAfter.Should().Be(TimeSpan.FromMilliseconds(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var next = await Acquire(RateLimitStrategy.FixedWindow, limit: 3);
        next.Allowed.Should().BeTrue();
        next.States[0].Should().Be(new BucketState(3, 2, TimeSpan.FromSeconds(60)));
        next.WindowIds[0].Should().Be(s_firstWindow + 1);
    }

    [Fact]
    public async Task FixedWindow_AcrossTheMinuteEdge_AllowsABurstOfTwiceTheLimit()
    {
        _time.Advance(TimeSpan.FromMilliseconds(59_999));
        var allowed = await CountAllowed(RateLimitStrategy.FixedWindow, limit: 10, attempts: 11);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        allowed += await CountAllowed(RateLimitStrategy.FixedWindow, limit: 10, attempts: 11);

        allowed.Should().Be(20, "a fixed window forgets the previous minute at its edge");
    }

    [Fact]
    public async Task SlidingWindow_AcrossTheMinuteEdge_AllowsNoBurst()
    {
        _time.Advance(TimeSpan.FromMilliseconds(59_999));
        (await CountAllowed(RateLimitStrategy.SlidingWindow, limit: 10, attempts: 11)).Should().Be(10);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var refused = await Acquire(RateLimitStrategy.SlidingWindow, limit: 10);

        refused.Allowed.Should().BeFalse("the previous minute still weighs fully at the edge");
        // weighted = 10·(W − e)/W must reach 9: e = 6 s.
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(6));
        _time.Advance(TimeSpan.FromMilliseconds(5_999));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task SlidingWindow_PreviousWindow_DecaysLinearly()
    {
        (await CountAllowed(RateLimitStrategy.SlidingWindow, limit: 10, attempts: 10)).Should().Be(10);
        _time.Advance(TimeSpan.FromSeconds(90)); // half-way through the next window: the previous one weighs 5

        for (var i = 0; i < 5; i++)
        {
            var outcome = await Acquire(RateLimitStrategy.SlidingWindow, limit: 10);
            outcome.Allowed.Should().BeTrue();
            outcome.States[0].Remaining.Should().Be(4 - i);
            outcome.States[0].ResetAfter.Should().Be(TimeSpan.FromSeconds(90), "the current count ages out at the end of the next window");
            outcome.WindowIds[0].Should().Be(s_firstWindow + 1);
        }

        var refused = await Acquire(RateLimitStrategy.SlidingWindow, limit: 10);

        // 10·(W − e)/W + 5 + 1 ≤ 10 from e = 36 s.
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(6));
        _time.Advance(TimeSpan.FromMilliseconds(5_999));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task SlidingWindow_OnlyThePreviousWindowLeft_ResetsAtTheEndOfTheCurrentWindow()
    {
        _time.Advance(TimeSpan.FromSeconds(10));
        var taken = await Acquire(RateLimitStrategy.SlidingWindow, limit: 1);
        _time.Advance(TimeSpan.FromSeconds(65)); // 15 s into the next window

        var refused = await Acquire(RateLimitStrategy.SlidingWindow, limit: 1);

        taken.States[0].Should().Be(new BucketState(1, 0, TimeSpan.FromSeconds(110)));
        refused.Allowed.Should().BeFalse();
        refused.States[0].Should().Be(new BucketState(1, 0, TimeSpan.FromSeconds(45)));
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(45));
        _time.Advance(TimeSpan.FromSeconds(45));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 1)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task SlidingWindow_CurrentWindowBlocks_RetryAfterReachesIntoTheNextWindow()
    {
        (await CountAllowed(RateLimitStrategy.SlidingWindow, limit: 10, attempts: 10)).Should().Be(10);
        _time.Advance(TimeSpan.FromSeconds(30));

        var refused = await Acquire(RateLimitStrategy.SlidingWindow, limit: 10);

        // In the next window 10·(W − e)/W + 1 ≤ 10 from e = 6 s: 30 s + 6 s from now.
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(36));
        refused.States[0].Should().Be(new BucketState(10, 0, TimeSpan.FromSeconds(90)));
        _time.Advance(TimeSpan.FromMilliseconds(35_999));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task TokenBucket_FullBurstThenSteadyRate()
    {
        var first = await Acquire(RateLimitStrategy.TokenBucket, limit: 60);
        (await CountAllowed(RateLimitStrategy.TokenBucket, limit: 60, attempts: 100)).Should().Be(59, "the whole bucket is available at once");
        var refused = await Acquire(RateLimitStrategy.TokenBucket, limit: 60);

        first.States[0].Should().Be(new BucketState(60, 59, TimeSpan.FromSeconds(1)));
        first.WindowIds[0].Should().Be(0);
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(1));
        refused.States[0].Should().Be(new BucketState(60, 0, TimeSpan.FromSeconds(60)));

        _time.Advance(TimeSpan.FromMilliseconds(500));
        (await Acquire(RateLimitStrategy.TokenBucket, limit: 60)).RetryAfter.Should().Be(TimeSpan.FromMilliseconds(500));

        var allowed = 0;
        for (var step = 0; step < 100; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            allowed += (await Acquire(RateLimitStrategy.TokenBucket, limit: 60)).Allowed ? 1 : 0;
        }

        allowed.Should().Be(10, "one token per second refills over the 10 s that followed 0.5 s of refill");
    }

    [Fact]
    public async Task TokenBucket_StateAndRetryAfter_AreExact()
    {
        var half = await Acquire(RateLimitStrategy.TokenBucket, limit: 60, amount: 30);
        _time.Advance(TimeSpan.FromSeconds(10));
        var one = await Acquire(RateLimitStrategy.TokenBucket, limit: 60);
        var refused = await Acquire(RateLimitStrategy.TokenBucket, limit: 60, amount: 45);

        half.States[0].Should().Be(new BucketState(60, 30, TimeSpan.FromSeconds(30)));
        one.States[0].Should().Be(new BucketState(60, 39, TimeSpan.FromSeconds(21)));
        refused.Allowed.Should().BeFalse();
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task TokenBucket_RefillIsExactToTheMillisecond()
    {
        (await CountAllowed(RateLimitStrategy.TokenBucket, limit: 7, attempts: 7)).Should().Be(7);

        var refused = await Acquire(RateLimitStrategy.TokenBucket, limit: 7);

        refused.RetryAfter.Should().Be(TimeSpan.FromMilliseconds(8_572)); // ⌈60 000 / 7⌉
        _time.Advance(TimeSpan.FromMilliseconds(8_571));
        (await Acquire(RateLimitStrategy.TokenBucket, limit: 7)).RetryAfter.Should().Be(TimeSpan.FromMilliseconds(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await Acquire(RateLimitStrategy.TokenBucket, limit: 7)).Allowed.Should().BeTrue();
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Settle_UpAndDown_AdjustsTheBucketAndClampsAtEmpty(RateLimitStrategy strategy)
    {
        var reserved = await Acquire(strategy, limit: 10, amount: 4);
        var windowId = reserved.WindowIds[0];

        await _sut.SettleAsync(strategy, Bucket, 10, 3, windowId, CancellationToken.None);
        var afterMore = await Acquire(strategy, limit: 10);
        await _sut.SettleAsync(strategy, Bucket, 10, -5, windowId, CancellationToken.None);
        var afterFewer = await Acquire(strategy, limit: 10);
        await _sut.SettleAsync(strategy, Bucket, 10, -100, windowId, CancellationToken.None);
        var afterAll = await Acquire(strategy, limit: 10);

        afterMore.States[0].Remaining.Should().Be(2); // 4 + 3 + 1
        afterFewer.States[0].Remaining.Should().Be(6); // 8 − 5 + 1
        afterAll.States[0].Remaining.Should().Be(9, "a settlement never takes a bucket below empty");
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    public async Task Settle_BeyondTheLimit_RefusesTheNextRequests(RateLimitStrategy strategy)
    {
        var reserved = await Acquire(strategy, limit: 10, amount: 5);

        await _sut.SettleAsync(strategy, Bucket, 10, 20, reserved.WindowIds[0], CancellationToken.None);
        var next = await Acquire(strategy, limit: 10);

        next.Allowed.Should().BeFalse();
        next.States[0].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Settle_TokenBucket_DebtDelaysTheNextRequest()
    {
        await Acquire(RateLimitStrategy.TokenBucket, limit: 60, amount: 10);

        await _sut.SettleAsync(RateLimitStrategy.TokenBucket, Bucket, 60, 60, 0, CancellationToken.None);
        var refused = await Acquire(RateLimitStrategy.TokenBucket, limit: 60);
        await _sut.SettleAsync(RateLimitStrategy.TokenBucket, Bucket, 60, -1000, 0, CancellationToken.None);
        var afterRefund = await Acquire(RateLimitStrategy.TokenBucket, limit: 60);

        refused.Allowed.Should().BeFalse();
        refused.RetryAfter.Should().Be(TimeSpan.FromSeconds(11), "the bucket owes 10 tokens and the request needs 1");
        refused.States[0].Should().Be(new BucketState(60, 0, TimeSpan.FromSeconds(70)));
        afterRefund.States[0].Remaining.Should().Be(59, "a refund fills the bucket no further than its capacity");
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    public async Task Settle_ToAWindowNoLongerCounted_IsIgnored(RateLimitStrategy strategy)
    {
        var reserved = await Acquire(strategy, limit: 10, amount: 5);
        _time.Advance(TimeSpan.FromMinutes(2));

        await _sut.SettleAsync(strategy, Bucket, 10, 100, reserved.WindowIds[0], CancellationToken.None);
        var next = await Acquire(strategy, limit: 10);

        next.Allowed.Should().BeTrue();
        next.States[0].Remaining.Should().Be(9);
    }

    [Fact]
    public async Task Settle_ToThePreviousWindow_CountsInTheSlidingWindowOnly()
    {
        var sliding = await Acquire(RateLimitStrategy.SlidingWindow, limit: 10, amount: 4, bucket: "s");
        var fixedWindow = await Acquire(RateLimitStrategy.FixedWindow, limit: 10, amount: 4, bucket: "f");
        _time.Advance(TimeSpan.FromMinutes(1));

        await _sut.SettleAsync(RateLimitStrategy.SlidingWindow, "s", 10, 6, sliding.WindowIds[0], CancellationToken.None);
        await _sut.SettleAsync(RateLimitStrategy.FixedWindow, "f", 10, 6, fixedWindow.WindowIds[0], CancellationToken.None);

        (await Acquire(RateLimitStrategy.SlidingWindow, limit: 10, bucket: "s")).Allowed.Should().BeFalse("the previous window now weighs 10");
        (await Acquire(RateLimitStrategy.FixedWindow, limit: 10, bucket: "f")).States[0].Remaining.Should().Be(9);
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow, 60)]
    [InlineData(RateLimitStrategy.SlidingWindow, 120)]
    [InlineData(RateLimitStrategy.TokenBucket, 60)]
    public async Task Acquire_SecondBucketRefuses_TakesNothingFromAny(RateLimitStrategy strategy, int retryAfterSeconds)
    {
        (await Acquire(strategy, limit: 1, bucket: "b")).Allowed.Should().BeTrue();

        var outcome = await _sut.AcquireAsync(strategy, [new LimitBucket("a", 10, 1), new LimitBucket("b", 1, 1)], CancellationToken.None);

        outcome.Allowed.Should().BeFalse();
        outcome.RefusedIndex.Should().Be(1);
        outcome.RetryAfter.Should().Be(TimeSpan.FromSeconds(retryAfterSeconds), "it is the refusing bucket's");
        outcome.States.Should().HaveCount(2);
        outcome.States[0].Remaining.Should().Be(10);
        outcome.States[1].Remaining.Should().Be(0);
        (await Acquire(strategy, limit: 10, amount: 10, bucket: "a")).Allowed.Should().BeTrue("nothing was taken from a");
    }

    [Fact]
    public async Task Acquire_FirstBucketRefuses_ReportsEveryBucketsState()
    {
        await Acquire(RateLimitStrategy.FixedWindow, limit: 2, amount: 2, bucket: "a");

        var outcome = await _sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket("a", 2, 1), new LimitBucket("b", 7, 3)], CancellationToken.None);

        outcome.RefusedIndex.Should().Be(0);
        outcome.States.Should().Equal(new BucketState(2, 0, TimeSpan.FromSeconds(60)), new BucketState(7, 7, TimeSpan.Zero));
        outcome.WindowIds.Should().Equal(s_firstWindow, s_firstWindow);
        (await Acquire(RateLimitStrategy.FixedWindow, limit: 7, amount: 7, bucket: "b")).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_SameBucketTwice_CountsBothAmounts()
    {
        var outcome = await _sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket("a", 3, 2), new LimitBucket("a", 3, 2)], CancellationToken.None);

        outcome.Allowed.Should().BeFalse();
        outcome.RefusedIndex.Should().Be(1);
        (await Acquire(RateLimitStrategy.FixedWindow, limit: 3, amount: 3, bucket: "a")).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_AfterBucketsWentIdle_ForgetsThemButKeepsADebt()
    {
        for (var i = 0; i < 100; i++)
        {
            await Acquire(RateLimitStrategy.SlidingWindow, limit: 10, bucket: $"idle-{i}");
        }

        await Acquire(RateLimitStrategy.TokenBucket, limit: 60, bucket: "debtor");
        await _sut.SettleAsync(RateLimitStrategy.TokenBucket, "debtor", 60, 1000, 0, CancellationToken.None);
        _sut.Count.Should().Be(101);

        _time.Advance(TimeSpan.FromMinutes(2));
        await Acquire(RateLimitStrategy.SlidingWindow, limit: 10, bucket: "new");

        _sut.Count.Should().Be(2, "idle buckets read as fresh and were dropped; the debtor still owes tokens");
        var debtor = await Acquire(RateLimitStrategy.TokenBucket, limit: 60, bucket: "debtor");
        debtor.Allowed.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_Concurrently_AllowsExactlyTheLimit()
    {
        var tasks = new Task<LimitOutcome>[200];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(async () => await Acquire(RateLimitStrategy.SlidingWindow, limit: 37));
        }

        var outcomes = await Task.WhenAll(tasks);

        outcomes.Count(static o => o.Allowed).Should().Be(37);
    }

    private ValueTask<LimitOutcome> Acquire(RateLimitStrategy strategy, long limit, long amount = 1, string bucket = Bucket) =>
        _sut.AcquireAsync(strategy, [new LimitBucket(bucket, limit, amount)], CancellationToken.None);

    private async Task<int> CountAllowed(RateLimitStrategy strategy, long limit, int attempts)
    {
        var allowed = 0;
        for (var i = 0; i < attempts; i++)
        {
            allowed += (await Acquire(strategy, limit)).Allowed ? 1 : 0;
        }

        return allowed;
    }
}
