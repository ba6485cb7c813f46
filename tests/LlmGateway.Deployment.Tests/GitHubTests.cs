using LlmGateway.Deployment.Tests.Checks;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>The workflows and issue forms in .github (GitHubCheck), and that the check notices mistakes.</summary>
public sealed class GitHubTests
{
    private readonly DeploymentFiles _files = new();

    [Fact]
    public void Workflows_AsCommitted_HaveNoProblems() =>
        GitHubCheck.Problems(_files).Should().BeEmpty();

    [Fact]
    public void Workflows_AreTheThreeExpected() =>
        DeploymentFiles.List(GitHubCheck.Workflows, "*.yml").Should().Equal(".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/workflows/security.yml");

    [Theory]
    [InlineData("ci.yml", "run: bash .ci/run", "run: dotnet build", "no step runs .ci/run or dotnet test")]
    [InlineData("ci.yml", "actions/checkout@v5", "actions/checkout@main", "uses actions/checkout@main, which is not pinned")]
    [InlineData("ci.yml", "  pull_request:\n", "  pull_request:\n    branches: [main\n", "not valid YAML")]
    [InlineData("security.yml", "--vulnerable --include-transitive", "--vulnerable", "--vulnerable --include-transitive")]
    [InlineData("security.yml", "languages: csharp", "languages: javascript", "CodeQL does not analyse csharp")]
    [InlineData("release.yml", "tags: [\"v*\"]", "tags: [\"release-*\"]", "does not run on pushed tags v*")]
    [InlineData("release.yml", "-p:Version=${GITHUB_REF_NAME#v}", "-p:Version=0.0.0", "-p:Version=${GITHUB_REF_NAME#v}")]
    [InlineData("release.yml", "secrets.NUGET_API_KEY", "secrets.NUGET_KEY", "secrets.NUGET_API_KEY")]
    public void Problems_ABrokenWorkflow_AreReported(string workflow, string original, string broken, string expected)
    {
        var files = _files.With($"{GitHubCheck.Workflows}/{workflow}", text => text.Replace(original, broken, StringComparison.Ordinal));

        GitHubCheck.Problems(files).Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
    }
}
