using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Gateway;

public sealed class ResourceOwnersTests
{
    private readonly MemoryResourceOwnerStore _store = new(TimeProvider.System);

    private ResourceOwners CreateSut(IResourceOwnerStore? store = null) => new(store ?? _store);

    [Fact]
    public async Task CheckAsync_TheOwner_IsAllowedWithTheRecord()
    {
        var sut = CreateSut();
        await sut.RecordAsync(OwnedResourceKind.Response, "resp_1", "key_a", "second");

        var (record, outcome) = await sut.CheckAsync(OwnedResourceKind.Response, "resp_1", "key_a", ownAccount: false, default);

        outcome.Should().Be(OwnershipOutcome.Allowed);
        record!.Provider.Should().Be("second");
    }

    [Theory]
    [InlineData("key_b")]
    [InlineData(GatewayCaller.InProcessId)]
    [InlineData("KEY_A")]
    public async Task CheckAsync_AnotherCaller_IsNotFound(string caller)
    {
        var sut = CreateSut();
        await sut.RecordAsync(OwnedResourceKind.Response, "resp_1", "key_a", "openai");

        var (record, outcome) = await sut.CheckAsync(OwnedResourceKind.Response, "resp_1", caller, ownAccount: false, default);

        outcome.Should().Be(OwnershipOutcome.NotFound);
        record.Should().BeNull();
    }

    [Fact]
    public async Task CheckAsync_UnknownId_IsNotFoundWithTheGatewaysKeyAndAllowedWithTheCallersOwn()
    {
        var sut = CreateSut();

        (await sut.CheckAsync(OwnedResourceKind.Response, "resp_x", "key_a", ownAccount: false, default)).Outcome.Should().Be(OwnershipOutcome.NotFound);
        (await sut.CheckAsync(OwnedResourceKind.Response, "resp_x", "key_a", ownAccount: true, default)).Should().Be(((ResourceRecord?)null, OwnershipOutcome.Allowed));
    }

    [Fact]
    public async Task CheckAsync_AnotherCallersIdWithTheCallersOwnKey_IsAllowedAndStillRoutedToItsInstance()
    {
        var sut = CreateSut();
        await sut.RecordAsync(OwnedResourceKind.Response, "resp_1", "key_a", "second");

        var (record, outcome) = await sut.CheckAsync(OwnedResourceKind.Response, "resp_1", "key_b", ownAccount: true, default);

        outcome.Should().Be(OwnershipOutcome.Allowed);
        record!.Provider.Should().Be("second");
    }

    [Fact]
    public async Task CheckAsync_StoreUnavailable_IsUnavailableUnlessTheCallersOwnAccountAnswers()
    {
        var sut = CreateSut(new UnavailableStore());

        (await sut.CheckAsync(OwnedResourceKind.Response, "resp_1", "key_a", ownAccount: false, default)).Outcome.Should().Be(OwnershipOutcome.Unavailable);
        (await sut.CheckAsync(OwnedResourceKind.Response, "resp_1", "key_a", ownAccount: true, default)).Outcome.Should().Be(OwnershipOutcome.Allowed);
        var error = ResourceOwners.Unavailable("the response 'resp_1'");
        error.StatusCode.Should().Be(503);
        error.RetryAfter.Should().NotBeNull();
    }

    [Theory]
    [InlineData("""{"id":"resp_1","object":"response","status":"completed"}""", true)]
    [InlineData("""{"object":"response","status":"completed","store":true,"id":"resp_1"}""", true)]
    [InlineData("""{"id":"resp_1","object":"response","status":"completed","store":false}""", false)]
    public async Task TrackAsync_CreatedResponse_IsRecordedUnlessNotStored(string body, bool recorded)
    {
        var sut = CreateSut();

        await using var response = await sut.TrackAsync(GatewayResponse.FromBody(System.Text.Encoding.UTF8.GetBytes(body)), "openai", "key_a");

        (await _store.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().Be(recorded ? new ResourceRecord("key_a", "openai") : null);
    }

    [Theory]
    [InlineData("responses/resp_1", "resp_1")]
    [InlineData("responses/resp_1/cancel", "resp_1")]
    [InlineData("responses/resp_1/input_items?limit=5", "resp_1")]
    [InlineData("responses/", null)]
    [InlineData("other/resp_1", null)]
    public void IdOf_ResourcePath_IsTheResponseId(string path, string? id) => ResourceOwners.IdOf(path).Should().Be(id);

    [Theory]
    [InlineData("abc", "cachedContents/abc")]
    [InlineData("cachedContents/abc", "cachedContents/abc")]
    public void GeminiCacheName_EitherSpelling_IsTheFullName(string name, string full) => ResourceOwners.GeminiCacheName(name).Should().Be(full);

    private sealed class UnavailableStore : IResourceOwnerStore
    {
        public ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record) => ValueTask.CompletedTask;

        public ValueTask<ResourceRecord?> FindAsync(OwnedResourceKind kind, string id, CancellationToken cancellationToken) =>
            throw new ResourceOwnerStoreUnavailableException("Redis is away.");
    }
}
