using System.Numerics.Tensors;
using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Cache;

public sealed class SemanticIndexTests
{
    private const string Context = "team-a:ctx1";
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_ttl = TimeSpan.FromMinutes(10);

    // cos((1,0,0,0), (1,1,1,1)) = 1 / (1 * 2) = 0.5, exactly representable, and (1,1,1,1)/2 is exact too.
    private static readonly float[] s_axis = [1, 0, 0, 0];
    private static readonly float[] s_diagonal = [1, 1, 1, 1];

    private readonly FakeTimeProvider _time = new(s_start);

    private SemanticIndex CreateSut(int maxEntries = 100) => new(maxEntries, _time);

    private DateTimeOffset Expiry => _time.GetUtcNow() + s_ttl;

    [Fact]
    public void FindBest_ThresholdEqualToTheSimilarity_Hits()
    {
        var sut = CreateSut();
        sut.Add(Context, s_diagonal, "k1", Expiry);

        var hit = sut.FindBest(Context, s_axis, threshold: 0.5f);

        hit.Should().Be(("k1", 0.5f));
        sut.FindBest(Context, s_axis, threshold: MathF.BitDecrement(0.5f)).Should().Be(("k1", 0.5f));
    }

    [Fact]
    public void FindBest_ThresholdJustAboveTheSimilarity_Misses()
    {
        var sut = CreateSut();
        sut.Add(Context, s_diagonal, "k1", Expiry);

        sut.FindBest(Context, s_axis, threshold: MathF.BitIncrement(0.5f)).Should().BeNull();
    }

    [Fact]
    public void FindBest_NonUnitVectors_ReportsTheirCosine()
    {
        var sut = CreateSut();
        float[] stored = [3, 4];
        float[] query = [4, 3];
        var expected = TensorPrimitives.CosineSimilarity(query, [0.6f, 0.8f]);
        sut.Add(Context, stored, "k1", Expiry);

        var hit = sut.FindBest(Context, query, threshold: 0.95f);

        hit!.Value.Similarity.Should().BeApproximately(0.96f, 1e-6f).And.BeApproximately(expected, 1e-6f);
        sut.FindBest(Context, query, threshold: 0.9601f).Should().BeNull();
    }

    [Fact]
    public void FindBest_SeveralEntries_ReturnsTheMostSimilar()
    {
        var sut = CreateSut();
        sut.Add(Context, new float[] { 0, 1, 0 }, "orthogonal", Expiry);
        sut.Add(Context, new float[] { 1, 1, 0 }, "close", Expiry);
        sut.Add(Context, new float[] { 1, 0.1f, 0 }, "closest", Expiry);
        sut.Add(Context, new float[] { -1, 0, 0 }, "opposite", Expiry);

        var hit = sut.FindBest(Context, new float[] { 1, 0, 0 }, threshold: 0.5f);

        hit!.Value.EntryKey.Should().Be("closest");
        hit.Value.Similarity.Should().BeApproximately(1 / MathF.Sqrt(1.01f), 1e-6f);
    }

    [Fact]
    public void FindBest_OtherContext_Misses()
    {
        var sut = CreateSut();
        sut.Add("team-a:ctx1", s_diagonal, "k1", Expiry);
        sut.Add("team-b:ctx1", s_axis, "k2", Expiry);

        sut.FindBest("team-a:ctx1", s_axis, threshold: 0.9f).Should().BeNull();
        sut.FindBest("team-b:ctx1", s_axis, threshold: 0.9f).Should().Be(("k2", 1f));
        sut.FindBest("team-a:ctx2", s_diagonal, threshold: 0f).Should().BeNull();
    }

    [Fact]
    public void FindBest_VectorsOfAnotherLength_AreNotCompared()
    {
        var sut = CreateSut();
        sut.Add(Context, new float[] { 1, 0, 0 }, "three", Expiry);

        sut.FindBest(Context, new float[] { 1, 0 }, threshold: -1f).Should().BeNull();
        sut.FindBest(Context, ReadOnlySpan<float>.Empty, threshold: -1f).Should().BeNull();
    }

    [Fact]
    public void FindBest_AtExpiry_MissesAndTheEntryIsDropped()
    {
        var sut = CreateSut();
        sut.Add(Context, s_axis, "k1", Expiry);
        sut.Add("other", s_axis, "k2", _time.GetUtcNow() + TimeSpan.FromHours(1));

        _time.Advance(s_ttl - TimeSpan.FromTicks(1));
        sut.FindBest(Context, s_axis, threshold: 0.9f).Should().Be(("k1", 1f));

        _time.Advance(TimeSpan.FromTicks(1));
        sut.FindBest(Context, s_axis, threshold: 0.9f).Should().BeNull();
        sut.Count.Should().Be(1, "the expired entry is dropped once a lookup meets it");
        sut.FindBest("other", s_axis, threshold: 0.9f).Should().Be(("k2", 1f));
    }

    [Fact]
    public void Add_ExpiredEntriesOfItsContext_AreDropped()
    {
        var sut = CreateSut();
        sut.Add(Context, s_axis, "k1", Expiry);
        sut.Add(Context, s_axis, "k2", Expiry);
        _time.Advance(s_ttl);

        sut.Add(Context, s_diagonal, "k3", Expiry);

        sut.Count.Should().Be(1);
        sut.FindBest(Context, s_axis, threshold: 0f).Should().Be(("k3", 0.5f));
    }

    [Fact]
    public void Add_AlreadyExpired_IsNotHeld()
    {
        var sut = CreateSut();

        sut.Add(Context, s_axis, "k1", _time.GetUtcNow());

        sut.Count.Should().Be(0);
        sut.FindBest(Context, s_axis, threshold: 0f).Should().BeNull();
    }

    [Fact]
    public void Add_PastMaxEntries_EvictsTheOldestAdditions()
    {
        var sut = CreateSut(maxEntries: 3);
        sut.Add("c1", s_axis, "k1", Expiry);
        sut.Add("c2", s_axis, "k2", Expiry);
        sut.Add("c1", s_diagonal, "k3", Expiry);
        sut.Add("c2", s_diagonal, "k4", Expiry);
        sut.Add("c3", s_axis, "k5", Expiry);

        sut.Count.Should().Be(3);
        sut.FindBest("c1", s_axis, threshold: 0f).Should().Be(("k3", 0.5f), "k1 was the oldest");
        sut.FindBest("c2", s_axis, threshold: 0f).Should().Be(("k4", 0.5f), "k2 was the next oldest");
        sut.FindBest("c3", s_axis, threshold: 0f).Should().Be(("k5", 1f));
    }

    [Fact]
    public void Add_SameKey_ReplacesTheEntryAndCountsAsANewAddition()
    {
        var sut = CreateSut(maxEntries: 2);
        sut.Add(Context, s_axis, "k1", Expiry);
        sut.Add(Context, s_axis, "k2", Expiry);

        sut.Add(Context, s_diagonal, "k1", Expiry);
        sut.Count.Should().Be(2);
        sut.FindBest(Context, s_diagonal, threshold: 0.99f).Should().Be(("k1", 1f));

        sut.Add(Context, s_axis, "k3", Expiry);
        sut.Count.Should().Be(2);
        sut.FindBest(Context, s_axis, threshold: 0.99f).Should().Be(("k3", 1f), "k2 was then the oldest addition");
    }

    [Fact]
    public void Add_SameKeyInAnotherContext_MovesTheEntry()
    {
        var sut = CreateSut();
        sut.Add("c1", s_axis, "k1", Expiry);

        sut.Add("c2", s_axis, "k1", Expiry);

        sut.Count.Should().Be(1);
        sut.FindBest("c1", s_axis, threshold: 0f).Should().BeNull();
        sut.FindBest("c2", s_axis, threshold: 0f).Should().Be(("k1", 1f));
    }

    [Fact]
    public void Add_LaterExpiry_ExtendsTheReplacedEntry()
    {
        var sut = CreateSut();
        sut.Add(Context, s_axis, "k1", Expiry);
        sut.Add(Context, s_axis, "k1", _time.GetUtcNow() + TimeSpan.FromHours(1));

        _time.Advance(s_ttl);

        sut.FindBest(Context, s_axis, threshold: 0.9f).Should().Be(("k1", 1f));
    }

    [Fact]
    public void Add_DoesNotKeepTheCallersBuffer()
    {
        var sut = CreateSut();
        var buffer = new float[] { 1, 0, 0, 0 };
        sut.Add(Context, buffer, "k1", Expiry);

        buffer[0] = 0;
        buffer[1] = 1;

        sut.FindBest(Context, s_axis, threshold: 0.99f).Should().Be(("k1", 1f));
    }

    [Fact]
    public void RemoveWhere_MatchingKeys_AreForgottenAndCounted()
    {
        var sut = CreateSut();
        sut.Add("c1", s_axis, "v1:team-a:semantic:1", Expiry);
        sut.Add("c1", s_diagonal, "v1:team-b:semantic:2", Expiry);
        sut.Add("c2", s_axis, "v1:team-a:semantic:3", Expiry);

        var removed = sut.RemoveWhere(key => key.StartsWith("v1:team-a:", StringComparison.Ordinal));

        removed.Should().Be(2);
        sut.Count.Should().Be(1);
        sut.FindBest("c1", s_axis, threshold: 0f).Should().Be(("v1:team-b:semantic:2", 0.5f));
        sut.FindBest("c2", s_axis, threshold: 0f).Should().BeNull();
        sut.RemoveWhere(_ => false).Should().Be(0);
    }

    [Fact]
    public void RemoveWhere_RemovedEntries_NoLongerCountTowardsTheMaximum()
    {
        var sut = CreateSut(maxEntries: 2);
        sut.Add(Context, s_axis, "k1", Expiry);
        sut.Add(Context, s_axis, "k2", Expiry);
        sut.RemoveWhere(key => key == "k1");

        sut.Add(Context, s_diagonal, "k3", Expiry);

        sut.Count.Should().Be(2);
        sut.FindBest(Context, s_axis, threshold: 0.99f).Should().Be(("k2", 1f));
    }

    [Fact]
    public void Constructor_NoRoom_Throws()
    {
        var create = () => new SemanticIndex(0, _time);

        create.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task AddAndFindBest_Concurrently_StayConsistent()
    {
        const int Writers = 4;
        const int PerWriter = 500;
        const int MaxEntries = 1000;
        var sut = CreateSut(MaxEntries);
        var writersDone = 0;
        using var start = new Barrier(Writers * 2);

        var writers = Enumerable.Range(0, Writers).Select(w => Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerWriter; i++)
            {
                // 2,000 additions of 1,500 keys (n and n + 1500 share one), so replacement races with addition and eviction.
                var n = (w * PerWriter) + i;
                sut.Add($"c{n % 4}", Vector(n), $"c{n % 4}:k{n % 1500}", Expiry);
            }

            Interlocked.Increment(ref writersDone);
        }));
        var readers = Enumerable.Range(0, Writers).Select(r => Run(() =>
        {
            start.SignalAndWait();
            var lookups = 0;
            while (Volatile.Read(ref writersDone) < Writers)
            {
                var context = $"c{lookups % 4}";
                if (sut.FindBest(context, Vector(lookups), threshold: -1f) is { } hit)
                {
                    hit.EntryKey.Should().StartWith(context + ":");
                    hit.Similarity.Should().BeInRange(-1.0001f, 1.0001f);
                }

                lookups++;
            }
        }));

        await Task.WhenAll(writers.Concat(readers));

        sut.Count.Should().Be(MaxEntries);
        for (var c = 0; c < 4; c++)
        {
            sut.FindBest($"c{c}", Vector(c), threshold: -1f)!.Value.EntryKey.Should().StartWith($"c{c}:");
        }

        sut.RemoveWhere(_ => true).Should().Be(MaxEntries);
        sut.Count.Should().Be(0);
    }

    // A thread each: the barrier needs every participant running at once, more than the pool starts with.
    private static Task Run(Action action) => Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static float[] Vector(int n) => [MathF.Cos(n), MathF.Sin(n), 1];
}
