using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Limits;

public sealed class RedisRateLimitStoreTests(RedisServer server) : IClassFixture<RedisServer>
{
    // A model name with the characters bucket names may hold.
    private const string Bucket = "key_1:gpt-4o/mini*:rpm";

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_EachStrategy_CountsAsTheMemoryStoreDoes(RateLimitStrategy strategy)
    {
        await using var redis = Connect(RedisServer.UniquePrefix());
        var sut = CreateSut(redis);
        var memory = new MemoryRateLimitStore(TimeProvider.System);
        await WaitClearOfAWindowEdgeAsync();

        for (var i = 0; i < 7; i++)
        {
            var amount = i == 6 ? 6 : 1; // the last asks for more than the limit
            var fromRedis = await sut.AcquireAsync(strategy, [new LimitBucket(Bucket, 5, amount)], CancellationToken.None);
            var fromMemory = await memory.AcquireAsync(strategy, [new LimitBucket(Bucket, 5, amount)], CancellationToken.None);

            fromRedis.Allowed.Should().Be(fromMemory.Allowed, $"attempt {i}");
            fromRedis.Allowed.Should().Be(i < 5, $"attempt {i}");
            fromRedis.RefusedIndex.Should().Be(fromMemory.RefusedIndex);
            fromRedis.States[0].Limit.Should().Be(5);
            fromRedis.States[0].Remaining.Should().Be(fromMemory.States[0].Remaining, $"attempt {i}");
            fromRedis.States[0].ResetAfter.Should().BeCloseTo(fromMemory.States[0].ResetAfter, TimeSpan.FromSeconds(2));
            fromRedis.RetryAfter.Should().BeCloseTo(fromMemory.RetryAfter, TimeSpan.FromSeconds(2));
            fromRedis.WindowIds[0].Should().Be(fromMemory.WindowIds[0], "both clocks are this machine's");
        }

        redis.IsDegraded.Should().BeFalse();
    }

    /// <summary>
    /// The Lua script against <see cref="RateLimitMath"/> to the millisecond, over random stored states. Redis's clock
    /// cannot be set, so the instant the script used is read back from its answer: a window's ResetAfter is
    /// (w+1)·W − now (fixed) or (w+2)·W − now (sliding) when the current count is not 0; a token bucket is stored as
    /// last refilled in the future, so it does not refill and the instant does not matter.
    /// </summary>
    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_SeededStates_MatchRateLimitMathExactly(RateLimitStrategy strategy)
    {
        var prefix = RedisServer.UniquePrefix();
        await using var redis = Connect(prefix);
        var sut = CreateSut(redis);
        var database = await redis.GetDatabaseAsync();
        var random = new Random(11);
        const long W = RateLimitMath.WindowMs;

        for (var i = 0; i < 100; i++)
        {
            await WaitClearOfAWindowEdgeAsync();
            var name = $"seeded-{i}";
            var limit = random.NextInt64(1, 60);
            var amount = random.NextInt64(1, limit + 3);
            var localNow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            RateLimitCounter counter;
            if (strategy == RateLimitStrategy.TokenBucket)
            {
                counter = new RateLimitCounter { HasLevel = true, Level = random.NextInt64(-limit * W, (limit * W) + 1), LevelAtMs = localNow + 600_000 };
                await database.HashSetAsync($"{prefix}rl:{name}", [new("l", counter.Level), new("lt", counter.LevelAtMs)]);
            }
            else
            {
                counter = new RateLimitCounter { Window = localNow / W, Current = random.NextInt64(1, limit + 3), Previous = random.NextInt64(0, limit + 3) };
                await database.HashSetAsync($"{prefix}rl:{name}", [new("w", counter.Window), new("c", counter.Current), new("p", counter.Previous)]);
            }

            var outcome = await sut.AcquireAsync(strategy, [new LimitBucket(name, limit, amount)], CancellationToken.None);

            var resetMs = (long)outcome.States[0].ResetAfter.TotalMilliseconds;
            var now = strategy switch
            {
                RateLimitStrategy.FixedWindow => ((counter.Window + 1) * W) - resetMs,
                RateLimitStrategy.SlidingWindow => ((counter.Window + 2) * W) - resetMs,
                _ => localNow,
            };
            RateLimitMath.Advance(strategy, ref counter, now, limit);
            var fits = RateLimitMath.Fits(strategy, counter, now, limit, amount);
            var retryMs = fits ? 0 : RateLimitMath.RetryAfterMs(strategy, counter, now, limit, amount);
            if (fits)
            {
                RateLimitMath.Take(strategy, ref counter, amount);
            }

            var because = $"state {i}: limit {limit}, amount {amount}, {now % W} ms into the window";
            outcome.Allowed.Should().Be(fits, because);
            outcome.RetryAfter.Should().Be(TimeSpan.FromMilliseconds(retryMs), because);
            outcome.States[0].Should().Be(RateLimitMath.StateOf(strategy, counter, now, limit), because);
            outcome.WindowIds[0].Should().Be(RateLimitMath.WindowIdOf(strategy, counter), because);
        }
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_TwoInstancesSharingALimit_AllowExactlyTheLimitInTotal(RateLimitStrategy strategy)
    {
        var prefix = RedisServer.UniquePrefix();
        await using var redisA = Connect(prefix);
        await using var redisB = Connect(prefix);
        var instanceA = CreateSut(redisA);
        var instanceB = CreateSut(redisB);
        await WaitClearOfAWindowEdgeAsync();

        var tasks = new Task<LimitOutcome>[100];
        for (var i = 0; i < tasks.Length; i++)
        {
            var instance = i % 2 == 0 ? instanceA : instanceB;
            tasks[i] = Task.Run(async () => await instance.AcquireAsync(strategy, [new LimitBucket(Bucket, 37, 1)], CancellationToken.None));
        }

        var outcomes = await Task.WhenAll(tasks);

        outcomes.Count(static o => o.Allowed).Should().Be(37);
        outcomes.Should().OnlyContain(static o => o.WindowIds[0] >= 0, "every acquisition was counted in Redis");
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Settle_FromAnotherInstance_AdjustsTheSharedBucket(RateLimitStrategy strategy)
    {
        var prefix = RedisServer.UniquePrefix();
        await using var redisA = Connect(prefix);
        await using var redisB = Connect(prefix);
        var instanceA = CreateSut(redisA);
        var instanceB = CreateSut(redisB);
        await WaitClearOfAWindowEdgeAsync();

        var reserved = await instanceA.AcquireAsync(strategy, [new LimitBucket(Bucket, 10, 4)], CancellationToken.None);
        var windowId = reserved.WindowIds[0];
        await instanceB.SettleAsync(strategy, Bucket, 10, 3, windowId, CancellationToken.None);
        var afterMore = await instanceA.AcquireAsync(strategy, [new LimitBucket(Bucket, 10, 1)], CancellationToken.None);
        await instanceB.SettleAsync(strategy, Bucket, 10, -5, windowId, CancellationToken.None);
        var afterFewer = await instanceA.AcquireAsync(strategy, [new LimitBucket(Bucket, 10, 1)], CancellationToken.None);
        await instanceB.SettleAsync(strategy, Bucket, 10, -100, windowId, CancellationToken.None);
        var afterAll = await instanceA.AcquireAsync(strategy, [new LimitBucket(Bucket, 10, 1)], CancellationToken.None);

        afterMore.States[0].Remaining.Should().Be(2); // 4 + 3 + 1
        afterFewer.States[0].Remaining.Should().Be(6); // 8 − 5 + 1
        afterAll.States[0].Remaining.Should().Be(9, "a settlement never takes a bucket below empty");
    }

    [Fact]
    public async Task Settle_ToAWindowNoLongerCounted_IsIgnored()
    {
        await using var redis = Connect(RedisServer.UniquePrefix());
        var sut = CreateSut(redis);
        await WaitClearOfAWindowEdgeAsync();

        var reserved = await sut.AcquireAsync(RateLimitStrategy.SlidingWindow, [new LimitBucket(Bucket, 10, 1)], CancellationToken.None);
        await sut.SettleAsync(RateLimitStrategy.SlidingWindow, Bucket, 10, 5, reserved.WindowIds[0] - 2, CancellationToken.None);
        var next = await sut.AcquireAsync(RateLimitStrategy.SlidingWindow, [new LimitBucket(Bucket, 10, 1)], CancellationToken.None);

        next.States[0].Remaining.Should().Be(8);
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow)]
    [InlineData(RateLimitStrategy.SlidingWindow)]
    [InlineData(RateLimitStrategy.TokenBucket)]
    public async Task Acquire_SecondBucketRefuses_TakesNothingFromAny(RateLimitStrategy strategy)
    {
        await using var redis = Connect(RedisServer.UniquePrefix());
        var sut = CreateSut(redis);
        await WaitClearOfAWindowEdgeAsync();
        await sut.AcquireAsync(strategy, [new LimitBucket("b", 1, 1)], CancellationToken.None);

        var outcome = await sut.AcquireAsync(strategy, [new LimitBucket("a", 10, 1), new LimitBucket("b", 1, 1)], CancellationToken.None);
        var all = await sut.AcquireAsync(strategy, [new LimitBucket("a", 10, 10)], CancellationToken.None);

        outcome.Allowed.Should().BeFalse();
        outcome.RefusedIndex.Should().Be(1);
        outcome.RetryAfter.Should().BePositive();
        outcome.States[0].Remaining.Should().Be(10);
        outcome.States[1].Remaining.Should().Be(0);
        all.Allowed.Should().BeTrue("nothing was taken from a");
    }

    [Theory]
    [InlineData(RateLimitStrategy.FixedWindow, 60_001, 120_000)]
    [InlineData(RateLimitStrategy.SlidingWindow, 60_001, 120_000)]
    [InlineData(RateLimitStrategy.TokenBucket, 1, 3_000)]
    public async Task Acquire_SetsTheKeyToExpireWhenTheBucketReadsAsFresh(RateLimitStrategy strategy, int minMs, int maxMs)
    {
        var prefix = RedisServer.UniquePrefix();
        await using var redis = Connect(prefix);
        var sut = CreateSut(redis);

        await sut.AcquireAsync(strategy, [new LimitBucket(Bucket, 60, 3)], CancellationToken.None);
        var ttl = await (await redis.GetDatabaseAsync()).KeyTimeToLiveAsync($"{prefix}rl:{Bucket}");

        ttl.Should().NotBeNull();
        ttl!.Value.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(minMs)).And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(maxMs));
    }

    [Fact]
    public async Task Acquire_RedisStopped_CountsInMemoryUntilRedisIsBack()
    {
        await using var redis = Connect(RedisServer.UniquePrefix());
        var sut = CreateSut(redis);
        await WaitClearOfAWindowEdgeAsync();
        var fromRedis = await sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket(Bucket, 3, 1)], CancellationToken.None);
        fromRedis.WindowIds[0].Should().BePositive();

        server.Stop();
        try
        {
            var outcomes = new List<LimitOutcome>();
            for (var i = 0; i < 4; i++)
            {
                outcomes.Add(await sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket(Bucket, 3, 1)], CancellationToken.None));
            }

            redis.IsDegraded.Should().BeTrue();
            outcomes.Select(static o => o.Allowed).Should().Equal([true, true, true, false], "the limit holds per instance meanwhile");
            outcomes[0].WindowIds[0].Should().BeNegative("a settlement must find the memory store");

            await sut.SettleAsync(RateLimitStrategy.FixedWindow, Bucket, 3, -3, outcomes[0].WindowIds[0], CancellationToken.None);
            (await sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket(Bucket, 3, 3)], CancellationToken.None)).Allowed
                .Should().BeTrue("the settlement was applied in memory");
            await sut.SettleAsync(RateLimitStrategy.FixedWindow, Bucket, 3, 1, fromRedis.WindowIds[0], CancellationToken.None);
        }
        finally
        {
            server.Start();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        LimitOutcome outcome;
        while (true)
        {
            outcome = await sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket("poll", 1_000_000, 1)], CancellationToken.None);
            if ((outcome.WindowIds[0] >= 0 && !redis.IsDegraded) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        outcome.WindowIds[0].Should().BePositive("Redis counts again");
        redis.IsDegraded.Should().BeFalse();
        var fresh = await sut.AcquireAsync(RateLimitStrategy.FixedWindow, [new LimitBucket(Bucket, 3, 1)], CancellationToken.None);
        fresh.WindowIds[0].Should().BePositive();
    }

    private RedisConnection Connect(string prefix) =>
        new(Options.Create(new LlmGatewayOptions { Redis = server.ConnectionString, RedisKeyPrefix = prefix }), NullLogger<RedisConnection>.Instance);

    private static RedisRateLimitStore CreateSut(RedisConnection redis) =>
        new(redis, new MemoryRateLimitStore(TimeProvider.System), NullLogger<RedisRateLimitStore>.Instance);

    /// <summary>
    /// These tests count against Redis's real clock and take milliseconds; near the end of a minute, they start once it
    /// has turned, so that no window edge falls inside a test and counts the same requests again.
    /// </summary>
    private static async Task WaitClearOfAWindowEdgeAsync()
    {
        var intoWindow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % RateLimitMath.WindowMs;
        if (intoWindow > RateLimitMath.WindowMs - 3_000)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(RateLimitMath.WindowMs - intoWindow + 50));
        }
    }
}
