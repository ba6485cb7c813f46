using LlmGateway.Packaging.Tests.Infrastructure;

namespace LlmGateway.Packaging.Tests;

/// <summary>
/// samples/LlmGateway.Samples.Extending is written against the libraries' public API: copied out of the repository
/// with its project references replaced by the packed packages, it builds and its own tests pass.
/// </summary>
[Collection(PackedLibrariesDefinition.Name)]
public sealed class ExtendingSampleTests(PackedLibraries packages)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task ExtendingSample_AgainstThePackedPackages_BuildsAndItsTestsPass()
    {
        using var sample = await ExtendingSample.WriteAsync(packages);

        var output = await ChildProcess.RunAsync(sample.Folder, TestTimeout,
            "test", sample.TestProject, "--configuration", "Release", "-warnaserror", "-nodeReuse:false");

        sample.PackageIds.Should().Equal(["LlmGateway.Core", "LlmGateway.Providers.OpenAI"], "the sample references Core and the OpenAI provider");
        output.Should().MatchRegex(@"Passed!\s+-\s+Failed:\s+0, Passed:\s+[1-9]", "the sample's tests ran and passed");
        var assets = await ExtendingSample.AssetsAsync(sample.SampleProject);
        var libraries = assets.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Name.StartsWith("LlmGateway.", StringComparison.Ordinal))
            .ToDictionary(l => l.Name, l => l.Value.GetProperty("type").GetString());
        libraries.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            [$"LlmGateway.Core/{packages.Version}"] = "package",
            [$"LlmGateway.Providers.OpenAI/{packages.Version}"] = "package",
        }, "the libraries come from the packed packages, not from projects");
    }
}
