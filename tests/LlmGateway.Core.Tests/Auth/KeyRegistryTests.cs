using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Auth;

public sealed class KeyRegistryTests
{
    private const string PlainKey = "lgw-configured-plain-key";
    private const string HashedKey = "lgw-configured-hashed-key";
    private readonly FakeOptionsMonitor _options = new(Options());
    private readonly MemoryKeyStore _store = new();

    private static LlmGatewayOptions Options(Action<AuthOptions>? configure = null)
    {
        var options = new LlmGatewayOptions();
        options.Auth.Keys.Add(new GatewayKeyOptions
        {
            Key = PlainKey,
            Name = "ci",
            AllowedModels = ["gpt-4o*"],
            RequestsPerMinute = 60,
            Strategy = RateLimitStrategy.TokenBucket,
            Budget = new BudgetOptions { DailyCost = 5m },
            ExpiresAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
        });
        options.Auth.Keys.Add(new GatewayKeyOptions { KeyHash = KeyHashing.Hash(HashedKey).ToUpperInvariant() });
        configure?.Invoke(options.Auth);
        return options;
    }

    private KeyRegistry CreateSut(IKeyStore? store = null) => new(_options, store ?? _store);

    [Fact]
    public async Task FindAsync_ConfiguredPlainKey_ReturnsItAsConfigKeyWithItsPolicy()
    {
        var key = await CreateSut().FindAsync(PlainKey, default);

        key.Should().NotBeNull();
        key!.Id.Should().Be("ci");
        key.Source.Should().Be("config");
        key.Hash.Should().Be(KeyHashing.Hash(PlainKey));
        key.Prefix.Should().Be("lgw-conf");
        key.AllowedModels.Should().Equal("gpt-4o*");
        key.RequestsPerMinute.Should().Be(60);
        key.Strategy.Should().Be(RateLimitStrategy.TokenBucket);
        key.Budget.DailyCost.Should().Be(5m);
        key.ExpiresAt.Should().Be(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task FindAsync_ConfiguredUpperCaseKeyHash_FindsTheKeyUnderItsIndexId()
    {
        var key = await CreateSut().FindAsync(HashedKey, default);

        key.Should().NotBeNull();
        key!.Id.Should().Be("config-1");
        key.Hash.Should().Be(KeyHashing.Hash(HashedKey));
        key.Prefix.Should().BeNull("only the hash is known");
    }

    [Theory]
    [InlineData("lgw-unknown")]
    [InlineData("")]
    [InlineData("LGW-CONFIGURED-PLAIN-KEY")]
    public async Task FindAsync_UnknownKey_ReturnsNull(string presented) =>
        (await CreateSut().FindAsync(presented, default)).Should().BeNull();

    [Fact]
    public async Task FindAsync_KeyInTheStore_FindsIt()
    {
        var stored = MemoryKeyStoreTests.Key("key_1", "lgw-stored");
        await _store.SaveAsync(stored, null, default);

        (await CreateSut().FindAsync("lgw-stored", default)).Should().BeSameAs(stored);
    }

    [Fact]
    public async Task FindAsync_StoreAnswersARecordWithAnotherHash_ReturnsNull()
    {
        // The final constant-time comparison is what refuses it: the store's lookup alone would let it through.
        var other = MemoryKeyStoreTests.Key("key_1", "lgw-someone-else");
        var store = new AnswerEverythingStore(other);

        (await CreateSut(store).FindAsync("lgw-stored", default)).Should().BeNull();
        store.Lookups.Should().Equal(KeyHashing.Hash("lgw-stored"));
    }

    [Fact]
    public async Task FindAsync_ConfigurationChanges_UsesTheNewKeys()
    {
        var sut = CreateSut();
        (await sut.FindAsync(PlainKey, default)).Should().NotBeNull();

        _options.Value = Options(auth => auth.Keys = [new GatewayKeyOptions { Key = "lgw-new", Name = "new" }]);

        (await sut.FindAsync(PlainKey, default)).Should().BeNull();
        (await sut.FindAsync("lgw-new", default))!.Id.Should().Be("new");
        sut.ConfiguredKeys().Select(k => k.Id).Should().Equal("new");
    }

    [Fact]
    public async Task FindAsync_ReloadFailsValidation_KeepsTheLastGoodKeys()
    {
        var sut = CreateSut();
        (await sut.FindAsync(PlainKey, default)).Should().NotBeNull();

        _options.Failure = new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(LlmGatewayOptions), ["bad"]);

        (await sut.FindAsync(PlainKey, default))!.Id.Should().Be("ci");
    }

    [Fact]
    public async Task FindAsync_ConfigurationReloadedThroughTheHost_UsesTheNewKeys()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LlmGateway:Auth:Keys:0:Key"] = "lgw-first-configured-key" })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName));
        await using var provider = services.BuildServiceProvider();
        var sut = provider.GetRequiredService<KeyRegistry>();
        (await sut.FindAsync("lgw-first-configured-key", default))!.Id.Should().Be("config-0");

        configuration["LlmGateway:Auth:Keys:0:Key"] = "lgw-second-configured-key";
        configuration.Reload();

        (await sut.FindAsync("lgw-first-configured-key", default)).Should().BeNull();
        (await sut.FindAsync("lgw-second-configured-key", default))!.Id.Should().Be("config-0");
    }

    [Fact]
    public void ConfiguredKeys_InvalidKeyHash_IsLeftOut()
    {
        _options.Value = Options(auth => auth.Keys.Add(new GatewayKeyOptions { KeyHash = "not-a-hash", Name = "broken" }));

        CreateSut().ConfiguredKeys().Select(k => k.Id).Should().Equal("ci", "config-1");
    }

    [Fact]
    public void IsAdmin_PlainAdminKey_AcceptsOnlyThatKey()
    {
        _options.Value = Options(auth => auth.AdminKey = "admin-secret");
        var sut = CreateSut();

        sut.HasAdminKey.Should().BeTrue();
        sut.IsAdmin("admin-secret").Should().BeTrue();
        sut.IsAdmin("admin-secreT").Should().BeFalse();
        sut.IsAdmin(PlainKey).Should().BeFalse();
        sut.IsAdmin(null).Should().BeFalse();
        sut.IsAdmin("").Should().BeFalse();
    }

    [Fact]
    public void IsAdmin_UpperCaseAdminKeyHash_AcceptsTheKey()
    {
        _options.Value = Options(auth => auth.AdminKeyHash = KeyHashing.Hash("admin-secret").ToUpperInvariant());
        var sut = CreateSut();

        sut.IsAdmin("admin-secret").Should().BeTrue();
        sut.IsAdmin("admin-other").Should().BeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-hash")]
    public void IsAdmin_NoUsableAdminKey_IsAlwaysFalse(string? adminKeyHash)
    {
        _options.Value = Options(auth => auth.AdminKeyHash = adminKeyHash);
        var sut = CreateSut();

        sut.HasAdminKey.Should().BeFalse();
        sut.IsAdmin("admin-secret").Should().BeFalse();
        sut.IsAdmin("not-a-hash").Should().BeFalse();
        sut.IsAdmin(null).Should().BeFalse();
    }

    /// <summary>A broken store that answers every hash with the same record.</summary>
    private sealed class AnswerEverythingStore(StoredKey key) : IKeyStore
    {
        public List<string> Lookups { get; } = [];

        public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
        {
            Lookups.Add(hash);
            return ValueTask.FromResult<StoredKey?>(key);
        }

        public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => ValueTask.FromResult<StoredKey?>(key);

        public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<StoredKey>>([key]);

        public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
