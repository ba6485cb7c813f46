using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>The configuration check the deployment tests rely on: it must reject what the host would reject.</summary>
public sealed class ConfigurationCheckTests
{
    [Fact]
    public void Problems_ValidGatewayVariables_AreNone()
    {
        var problems = GatewayEnvironment.Problems("test", new Dictionary<string, string?>
        {
            ["LlmGateway__Auth__Mode"] = "Gateway",
            ["LlmGateway__Auth__AdminKey"] = "0123456789abcdef0123",
            ["LlmGateway__Redis"] = "redis:6379",
            ["LlmGateway__Providers__openai__BaseUrl"] = "http://upstream:8000/v1",
            ["LlmGateway__Cache__Enabled"] = "true",
            ["OPENAI_API_KEY"] = "sk-test",
            ["ASPNETCORE_HTTP_PORTS"] = "8080",
            ["Logging__Console__FormatterName"] = "json",
        });

        problems.Should().BeEmpty();
    }

    [Theory]
    [InlineData("LlmGateway__Auth__Mod", "LlmGateway:Auth:Mod")]
    [InlineData("LlmGateway__Cache__Enable", "LlmGateway:Cache:Enable")]
    [InlineData("LlmGateway__Providers__openai__ApiKeyy", "LlmGateway:Providers:openai:ApiKeyy")]
    [InlineData("LlmGateway__Cors__Origin__0", "LlmGateway:Cors:Origin")]
    public void Problems_MisspeltGatewayKey_IsRejectedWithItsFullPath(string variable, string key)
    {
        var problems = GatewayEnvironment.Problems("test", new Dictionary<string, string?> { [variable] = "x" });

        problems.Should().ContainSingle().Which.Should().Contain(key);
    }

    [Fact]
    public void Problems_AValueTheGatewayRejects_IsReported()
    {
        var problems = GatewayEnvironment.Problems("test", new Dictionary<string, string?>
        {
            ["LlmGateway__Auth__AdminKey"] = "too-short",
            ["LlmGateway__ShutdownDrainTimeout"] = "00:00:00",
        });

        problems.Should().Contain(p => p.Contains("LlmGateway:Auth:AdminKey must be at least 16 characters", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("LlmGateway:ShutdownDrainTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_AValueOfTheWrongType_IsReported()
    {
        var problems = GatewayEnvironment.Problems("test", new Dictionary<string, string?> { ["LlmGateway__RequestTimeout"] = "ten minutes" });

        problems.Should().ContainSingle().Which.Should().Contain("LlmGateway:RequestTimeout");
    }

    [Theory]
    [InlineData("OPENAI_APIKEY")]
    [InlineData("LLM_GATEWAY__Auth__Mode")]
    [InlineData("ASPNETCORE_HTTP_PORT")]
    public void Problems_AVariableTheHostDoesNotRead_IsReported(string variable)
    {
        var problems = GatewayEnvironment.Problems("test", new Dictionary<string, string?> { [variable] = "x" });

        problems.Should().ContainSingle().Which.Should().Contain(variable).And.Contain("not a variable the host reads");
    }

    [Fact]
    public void Problems_AHelperVariable_IsAllowedOnlyWhenDeclaredAsOne()
    {
        var environment = new Dictionary<string, string?> { ["REDIS_PASSWORD"] = "secret" };

        GatewayEnvironment.Problems("test", environment, helpers: ["REDIS_PASSWORD"]).Should().BeEmpty();
        GatewayEnvironment.Problems("test", environment).Should().ContainSingle();
    }
}
