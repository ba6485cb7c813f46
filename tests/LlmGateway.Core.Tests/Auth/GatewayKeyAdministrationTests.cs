using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Core.Tests.Auth;

/// <summary><see cref="GatewayKeyAdministration"/> used in-process, through DI and the public API: the keys it
/// makes authenticate requests (<see cref="GatewayAuthenticator"/>) until they are revoked or rotated, and keys from
/// configuration stay read-only.</summary>
public sealed class GatewayKeyAdministrationTests : IDisposable
{
    private const string ConfiguredKey = "lgw-configured-admin-tests-key";
    private readonly ServiceProvider _services;

    public GatewayKeyAdministrationTests()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["LlmGateway:Providers:first:Type"] = ProviderTypes.OpenAI,
                ["LlmGateway:Providers:first:Models:0"] = "model-a",
                ["LlmGateway:Auth:Mode"] = "Gateway",
                ["LlmGateway:Auth:Keys:0:Name"] = "ci",
                ["LlmGateway:Auth:Keys:0:Key"] = ConfiguredKey,
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddSingleton<ILlmProviderFactory>(new FakeProviderFactory(ProviderTypes.OpenAI));
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName));
        _services = services.BuildServiceProvider();
    }

    private GatewayKeyAdministration Keys => _services.GetRequiredService<GatewayKeyAdministration>();

    private GatewayAuthenticator Authenticator => _services.GetRequiredService<GatewayAuthenticator>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task CreateAsync_ReturnedKey_AuthenticatesAsTheKeyWithItsSettingsUntilRevoked()
    {
        var created = await Keys.CreateAsync(new GatewayKeySettings { Name = "batch", AllowedModels = ["model-a"] });

        var auth = await Authenticator.AuthenticateAsync(created.Key, providerKey: null, isLoopback: false);
        auth.Succeeded.Should().BeTrue(auth.Error?.Message);
        auth.Caller!.Id.Should().Be(created.Record.Id);
        auth.Caller.MayUse("model-a").Should().BeTrue();
        auth.Caller.MayUse("model-b").Should().BeFalse("the key was created for model-a only");
        created.Key.Should().StartWith("lgw-");
        created.Record.Hash.Should().NotContain(created.Key["lgw-".Length..], "only the key's hash is kept");
        (await Keys.GetAsync(created.Record.Id))!.Name.Should().Be("batch");

        var revoked = await Keys.RevokeAsync(created.Record.Id);

        revoked.IsRevoked.Should().BeTrue();
        var refused = await Authenticator.AuthenticateAsync(created.Key, providerKey: null, isLoopback: false);
        refused.Succeeded.Should().BeFalse();
        refused.Error!.StatusCode.Should().Be(401);
        refused.Error.Message.Should().Contain("revoked");
    }

    [Fact]
    public async Task RevokeAsync_ConfiguredKey_IsRefusedAsReadOnlyAndTheKeyKeepsWorking()
    {
        var act = async () => await Keys.RevokeAsync("ci");

        var error = (await act.Should().ThrowAsync<LlmGatewayException>()).Which.Error;
        error.StatusCode.Should().Be(409);
        error.Code.Should().Be("key_read_only");
        (await Authenticator.AuthenticateAsync(ConfiguredKey, providerKey: null, isLoopback: false)).Succeeded.Should().BeTrue();
        (await Keys.ListAsync()).Should().ContainSingle(k => k.Id == "ci").Which.IsRevoked.Should().BeFalse();
    }

    [Fact]
    public async Task UpdateAsync_ChangesOnlyTheSettingsThatAreSet()
    {
        var created = await Keys.CreateAsync(new GatewayKeySettings { Name = "batch", AllowedModels = ["model-a"], RequestsPerMinute = 5 });

        var updated = await Keys.UpdateAsync(created.Record.Id, new GatewayKeySettings { RequestsPerMinute = 10, AllowedModels = null });

        updated.Name.Should().Be("batch", "the name was not set");
        updated.RequestsPerMinute.Should().Be(10);
        updated.AllowedModels.Should().BeEmpty("setting it to null clears it");
        updated.UpdatedAt.Should().NotBeNull();
        (await Keys.GetAsync(created.Record.Id))!.RequestsPerMinute.Should().Be(10, "the change is saved");
    }

    [Fact]
    public async Task RotateAsync_OldKeyIsRefusedAndTheNewOneAuthenticatesAsTheSameKey()
    {
        var created = await Keys.CreateAsync();

        var rotated = await Keys.RotateAsync(created.Record.Id);

        rotated.Key.Should().NotBe(created.Key);
        rotated.Record.Id.Should().Be(created.Record.Id);
        (await Authenticator.AuthenticateAsync(created.Key, providerKey: null, isLoopback: false)).Succeeded.Should().BeFalse();
        (await Authenticator.AuthenticateAsync(rotated.Key, providerKey: null, isLoopback: false)).Caller!.Id.Should().Be(created.Record.Id);
    }

    [Fact]
    public async Task CreateAsync_ProviderKeyForAnUnknownInstance_IsRefusedAndNothingIsSaved()
    {
        var act = async () => await Keys.CreateAsync(new GatewayKeySettings { ProviderKeys = new Dictionary<string, string> { ["nope"] = "upstream-key" } });

        var error = (await act.Should().ThrowAsync<LlmGatewayException>()).Which.Error;
        error.StatusCode.Should().Be(400);
        error.Param.Should().Be("provider_keys.nope");
        (await Keys.ListAsync()).Should().ContainSingle("only the configured key exists");
    }

    [Fact]
    public async Task UpdateAsync_UnknownId_IsNotFound()
    {
        var act = async () => await Keys.UpdateAsync("key_missing", new GatewayKeySettings { Name = "x" });

        (await act.Should().ThrowAsync<LlmGatewayException>()).Which.Error.Code.Should().Be("key_not_found");
    }
}
