using LlmGateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Gateway;

public sealed class MemoryResourceOwnerStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 15, 10, 0, 0, TimeSpan.Zero));

    private MemoryResourceOwnerStore CreateSut() => new(_time);

    [Fact]
    public async Task FindAsync_RecordedId_ReturnsItsOwnerAndProvider()
    {
        var sut = CreateSut();

        await sut.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_a", "openai"));

        (await sut.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().Be(new ResourceRecord("key_a", "openai"));
        (await sut.FindAsync(OwnedResourceKind.Response, "resp_2", default)).Should().BeNull();
    }

    [Fact]
    public async Task FindAsync_SameIdOfAnotherKind_IsNotFound()
    {
        var sut = CreateSut();

        await sut.AddAsync(OwnedResourceKind.Response, "cachedContents/x", new ResourceRecord("key_a", "openai"));

        (await sut.FindAsync(OwnedResourceKind.GeminiCache, "cachedContents/x", default)).Should().BeNull();
    }

    [Fact]
    public async Task AddAsync_IdAlreadyRecorded_KeepsTheFirstOwner()
    {
        var sut = CreateSut();

        await sut.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_a", "openai"));
        await sut.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_b", "openai"));

        (await sut.FindAsync(OwnedResourceKind.Response, "resp_1", default))!.Owner.Should().Be("key_a");
    }

    [Fact]
    public async Task FindAsync_AfterTheLifetime_IsNotFound()
    {
        var sut = CreateSut();
        await sut.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_a", "openai"));

        _time.Advance(MemoryResourceOwnerStore.Lifetime - TimeSpan.FromSeconds(1));
        (await sut.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().NotBeNull();
        _time.Advance(TimeSpan.FromSeconds(1));

        (await sut.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().BeNull();
    }

    [Fact]
    public async Task AddAsync_PastCapacity_ForgetsTheOldestFirst()
    {
        var sut = CreateSut();

        for (var i = 0; i <= MemoryResourceOwnerStore.Capacity; i++)
        {
            await sut.AddAsync(OwnedResourceKind.Response, "resp_" + i, new ResourceRecord("key_a", "openai"));
        }

        sut.Count.Should().Be(MemoryResourceOwnerStore.Capacity);
        (await sut.FindAsync(OwnedResourceKind.Response, "resp_0", default)).Should().BeNull();
        (await sut.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().NotBeNull();
        (await sut.FindAsync(OwnedResourceKind.Response, "resp_" + MemoryResourceOwnerStore.Capacity, default)).Should().NotBeNull();
    }
}
