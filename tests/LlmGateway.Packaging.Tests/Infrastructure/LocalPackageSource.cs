using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Sdk;

namespace LlmGateway.Packaging.Tests.Infrastructure;

/// <summary>
/// How an app outside the repository gets the packed packages: a <c>nuget.config</c> that adds the folder they were
/// packed into to the machine's sources and maps <c>LlmGateway.*</c> to it alone, and the cleanup of what the restore
/// put into the machine's global packages folder.
/// </summary>
internal static partial class LocalPackageSource
{
    private const string Name = "llmgateway-packaging-test";

    /// <summary>Writes <c>nuget.config</c> into <paramref name="folder"/>.</summary>
    public static async Task WriteNuGetConfigAsync(string folder, PackedLibraries packages)
    {
        // The machine's sources as NuGet sees them from the app's folder, before the app adds its own.
        var sources = await ChildProcess.RunAsync(folder, TimeSpan.FromMinutes(1), "nuget", "list", "source", "--format", "Detailed");
        var enabled = EnabledSource().Matches(sources).Select(m => m.Groups["name"].Value).ToList();
        enabled.Should().NotBeEmpty($"the machine has a NuGet source for the app's other packages; dotnet nuget list source said:{Environment.NewLine}{sources}");

        // Adds the local folder to the machine's sources (none is cleared) and maps LlmGateway.* to it alone: the most
        // specific pattern wins, so a package of that name on nuget.org can never stand in for the one packed here.
        var config = new XElement("configuration",
            new XElement("packageSources",
                new XElement("add", new XAttribute("key", Name), new XAttribute("value", packages.PackageFolder))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", Name), new XElement("package", new XAttribute("pattern", "LlmGateway.*"))),
                enabled.Select(name => new XElement("packageSource", new XAttribute("key", name), new XElement("package", new XAttribute("pattern", "*"))))));
        await File.WriteAllTextAsync(Path.Combine(folder, "nuget.config"), new XDocument(config).ToString());
    }

    /// <summary>The machine's NuGet global packages folder, as seen from <paramref name="folder"/>.</summary>
    public static async Task<string> GlobalPackagesFolderAsync(string folder)
    {
        var locals = await ChildProcess.RunAsync(folder, TimeSpan.FromMinutes(1), "nuget", "locals", "global-packages", "--list");
        return GlobalPackagesLine().Match(locals) is { Success: true } match
            ? match.Groups["path"].Value
            : throw new XunitException($"No global packages folder in: {locals}");
    }

    /// <summary>The folders a restore of this run's version puts into <paramref name="globalPackagesFolder"/>.</summary>
    public static IEnumerable<string> RestoredFolders(string globalPackagesFolder, PackedLibraries packages) =>
        PackedLibraries.Ids.Select(id => Path.Combine(globalPackagesFolder, id.ToLowerInvariant(), packages.Version.ToLowerInvariant()));

    /// <summary>Deletes the packages of this run's version from the global packages folder: no later run asks for that
    /// version again.</summary>
    public static void DeleteRestored(IEnumerable<string> folders)
    {
        foreach (var folder in folders.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
            var idFolder = Path.GetDirectoryName(folder)!;
            if (!Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                Directory.Delete(idFolder);
            }
        }
    }

    /// <summary>A line of <c>dotnet nuget list source --format Detailed</c> naming an enabled source: "  1.  nuget.org [Enabled]".</summary>
    [GeneratedRegex(@"^\s*\d+\.\s+(?<name>.+?)\s+\[Enabled\]\s*$", RegexOptions.Multiline)]
    private static partial Regex EnabledSource();

    /// <summary>The line of <c>dotnet nuget locals global-packages --list</c>: "global-packages: /home/me/.nuget/packages/".</summary>
    [GeneratedRegex(@"^global-packages:\s*(?<path>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex GlobalPackagesLine();
}
