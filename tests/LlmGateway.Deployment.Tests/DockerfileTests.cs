using LlmGateway.Deployment.Tests.Checks;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>The Dockerfile against the host (DockerfileCheck), and that the check notices each kind of mistake.</summary>
public sealed class DockerfileTests
{
    private readonly DeploymentFiles _files = new();

    [Fact]
    public void Dockerfile_AsCommitted_HasNoProblems() =>
        DockerfileCheck.Problems(_files).Should().BeEmpty();

    [Fact]
    public void Dockerfile_RunsTheHostAsNonRootOnPort8080WithAHealthCheckScript()
    {
        var dockerfile = DockerfileCheck.Parse(_files);

        dockerfile.Final.Last("USER")!.Arguments.Should().Be("$APP_UID");
        DockerfileCheck.HttpPort(_files).Should().Be(8080);
        DockerfileCheck.HealthCheckScript(_files).Should().Be("deploy/healthcheck.sh");
    }

    [Theory]
    [InlineData("LlmGateway__Auth__Mode=Gateway", "LlmGateway__Auth__Mod=Gateway", "LlmGateway:Auth:Mod")]
    [InlineData("LlmGateway__Auth__Mode=Gateway", "LlmGateway__Auth__Mode=None", "LlmGateway__Auth__Mode must be set to a mode other than None")]
    [InlineData("USER $APP_UID", "USER root", "runs as root")]
    [InlineData("EXPOSE 8080", "EXPOSE 80", "EXPOSE 80 is not ASPNETCORE_HTTP_PORTS=8080")]
    [InlineData("URLS=\"\"", "URLS=\"http://+:8080\"", "URLS must be set to empty")]
    [InlineData("COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/llmgateway-healthcheck", "COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/healthcheck", "no HEALTHCHECK running a script")]
    [InlineData("dotnet publish samples/LlmGateway.Server -c Release", "dotnet publish samples/LlmGateway.Server -c Debug", "dotnet publish samples/LlmGateway.Server -c Release")]
    [InlineData("ENTRYPOINT [\"dotnet\", \"LlmGateway.Server.dll\"]", "ENTRYPOINT [\"dotnet\", \"LlmGateway.StandInUpstream.dll\"]", "ENTRYPOINT")]
    public void Problems_ABrokenDockerfile_AreReported(string original, string broken, string expected)
    {
        var files = _files.With(DockerfileCheck.File, text => text.Replace(original, broken, StringComparison.Ordinal));

        DockerfileCheck.Problems(files).Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_AHealthCheckScriptProbingAnotherPath_IsReported()
    {
        var files = _files.With("deploy/healthcheck.sh", text => text.Replace("GET /health/live ", "GET /health ", StringComparison.Ordinal));

        DockerfileCheck.Problems(files).Should().Contain(p => p.Contains("does not GET /health/live", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ContinuationLinesCommentsAndQuotes_ReadAsDockerDoes()
    {
        var dockerfile = Dockerfile.Parse("""
            # syntax=docker/dockerfile:1
            FROM base:1 AS build
            RUN echo one \
            # a comment inside the instruction
                && echo two
            FROM mcr.microsoft.com/dotnet/aspnet:10.0
            ENV A=1 \
                B="two words" \
                C=""
            ENV LEGACY value with spaces
            """);

        dockerfile.Stages.Should().HaveCount(2);
        dockerfile.Stages[0].Name.Should().Be("build");
        dockerfile.Stages[0].Last("RUN")!.Arguments.Should().Be("echo one      && echo two");
        dockerfile.Final.Environment.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["A"] = "1",
            ["B"] = "two words",
            ["C"] = "",
            ["LEGACY"] = "value with spaces",
        });
    }
}
