using LlmGateway.Deployment.Tests.Checks;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>docker-compose.yml, .env.example and deploy/nginx.conf (ComposeCheck), and that the check notices mistakes.</summary>
public sealed class ComposeTests
{
    private readonly DeploymentFiles _files = new();

    [Fact]
    public void Compose_AsCommitted_HasNoProblems() =>
        ComposeCheck.Problems(_files).Should().BeEmpty();

    [Fact]
    public void Compose_RunsTwoGatewaysBehindNginxSharingOneRedis()
    {
        var compose = Yaml.Document(_files.Read(ComposeCheck.File));

        ComposeCheck.GatewayServices(compose).Should().Equal("gateway-1", "gateway-2");
        foreach (var gateway in ComposeCheck.GatewayServices(compose))
        {
            var environment = ComposeCheck.ContainerEnvironment(_files, gateway, []);
            environment["LlmGateway__Redis"].Should().Be("redis:6379");
            environment["LlmGateway__Auth__AdminKey"].Should().Be(Compose.EnvFile(_files.Read(ComposeCheck.EnvExample))["LLMGATEWAY_ADMIN_KEY"]);
        }
    }

    [Theory]
    [InlineData(ComposeCheck.File, "LlmGateway__Cache__Enabled:", "LlmGateway__Cache__Enable:", "LlmGateway:Cache:Enable")]
    [InlineData(ComposeCheck.File, "OPENAI_API_KEY:", "OPENAI_KEY:", "OPENAI_KEY is not a variable the host reads")]
    [InlineData(ComposeCheck.File, "LlmGateway__Redis: redis:6379", "LlmGateway__Redis: localhost:6379", "not the compose Redis")]
    [InlineData(ComposeCheck.File, "\"--appendonly\", \"yes\"", "\"--appendonly\", \"no\"", "--appendonly yes")]
    [InlineData(ComposeCheck.File, "stop_grace_period: 45s", "stop_grace_period: 30s", "stop_grace_period 30 s")]
    [InlineData(ComposeCheck.File, "\"8080:8080\"", "\"8080:80\"", "publishes container port 80")]
    [InlineData(ComposeCheck.File, "${GEMINI_API_KEY:-}", "${GOOGLE_KEY:-}", "${GOOGLE_KEY} has no entry in .env.example")]
    [InlineData(ComposeCheck.EnvExample, "LLMGATEWAY_ADMIN_KEY=replace-with-a-long-random-admin-key", "LLMGATEWAY_ADMIN_KEY=", "${LLMGATEWAY_ADMIN_KEY} is required")]
    [InlineData(ComposeCheck.EnvExample, "LLMGATEWAY_ADMIN_KEY=replace-with-a-long-random-admin-key", "LLMGATEWAY_ADMIN_KEY=short", "LlmGateway:Auth:AdminKey must be at least 16 characters")]
    [InlineData(ComposeCheck.NginxConfig, "server gateway-2:8080", "server gateway-2:80", "the upstream servers are [gateway-1:8080, gateway-2:80]")]
    [InlineData(ComposeCheck.NginxConfig, "proxy_buffering off;", "proxy_buffering on;", "proxy_buffering is on")]
    [InlineData(ComposeCheck.NginxConfig, "proxy_http_version 1.1;", "", "proxy_http_version is not set")]
    [InlineData(ComposeCheck.NginxConfig, "keepalive 64;", "", "keeps no connections alive")]
    [InlineData(ComposeCheck.NginxConfig, "proxy_read_timeout 620s;", "proxy_read_timeout 300s;", "proxy_read_timeout 300 s")]
    [InlineData(ComposeCheck.NginxConfig, "client_max_body_size 32m;", "client_max_body_size 1m;", "client_max_body_size (1048576 bytes)")]
    public void Problems_ABrokenComposeSetup_AreReported(string file, string original, string broken, string expected)
    {
        var files = _files.With(file, text => text.Replace(original, broken, StringComparison.Ordinal));

        ComposeCheck.Problems(files).Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Interpolate_ComposeModifiers_ResolveAsComposeDoes()
    {
        var variables = new Dictionary<string, string> { ["SET"] = "value", ["EMPTY"] = "" };
        var problems = new List<string>();

        Compose.Interpolate("${SET}/${EMPTY:-fallback}/${EMPTY-kept}/${UNSET-default}/${SET:?x}", variables, problems, "test").Should().Be("value/fallback//default/value");
        problems.Should().BeEmpty();
        Compose.Interpolate("${EMPTY:?needed}", variables, problems, "test").Should().BeEmpty();
        problems.Should().ContainSingle().Which.Should().Contain("${EMPTY} is required (needed)");
    }
}
