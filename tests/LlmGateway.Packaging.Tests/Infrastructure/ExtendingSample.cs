using System.Text.Json;
using System.Xml.Linq;

namespace LlmGateway.Packaging.Tests.Infrastructure;

/// <summary>
/// samples/LlmGateway.Samples.Extending and its tests, copied out of the repository into the run's temporary folder
/// (same relative layout, without bin and obj) and switched from the libraries' projects to the packed packages: each
/// <c>ProjectReference</c> to <c>src/</c> becomes a <c>PackageReference</c> to the package of that name. The copy keeps
/// central package management, as the repository does: its <c>Directory.Packages.props</c> takes the repository's
/// versions for everything else and adds the packed version of the LlmGateway packages. None of the repository's
/// <c>Directory.Build.*</c> files come along (<c>TestData/ExtendingSample</c> has the settings the copy needs), and
/// <c>nuget.config</c> maps <c>LlmGateway.*</c> to the packed folder alone.
/// </summary>
public sealed class ExtendingSample : IDisposable
{
    private const string SampleFolder = "samples/LlmGateway.Samples.Extending";
    private const string TestsFolder = "tests/LlmGateway.Samples.Extending.Tests";

    private readonly List<string> _restoredPackageFolders = [];

    private ExtendingSample(string folder)
    {
        Folder = folder;
    }

    /// <summary>Gets the folder the copy was written to.</summary>
    public string Folder { get; }

    /// <summary>Gets the sample project's file in the copy.</summary>
    public string SampleProject => Path.Combine(Folder, SampleFolder, "LlmGateway.Samples.Extending.csproj");

    /// <summary>Gets the test project's file in the copy.</summary>
    public string TestProject => Path.Combine(Folder, TestsFolder, "LlmGateway.Samples.Extending.Tests.csproj");

    /// <summary>Gets the package ids the sample's project references became.</summary>
    public IReadOnlyList<string> PackageIds { get; private set; } = [];

    /// <summary>Writes the copy; <see cref="Dispose"/> removes what its restore put into the global packages folder.</summary>
    internal static async Task<ExtendingSample> WriteAsync(PackedLibraries packages)
    {
        var sample = new ExtendingSample(Path.Combine(packages.Root, "extending"));
        try
        {
            await sample.WriteCoreAsync(packages);
            return sample;
        }
        catch
        {
            sample.Dispose();
            throw;
        }
    }

    /// <summary>Reads the restore result of a project of the copy (<c>obj/project.assets.json</c>).</summary>
    public static async Task<JsonElement> AssetsAsync(string project)
    {
        using var assets = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Path.GetDirectoryName(project)!, "obj", "project.assets.json")));
        return assets.RootElement.Clone();
    }

    public void Dispose() => LocalPackageSource.DeleteRestored(_restoredPackageFolders);

    private async Task WriteCoreAsync(PackedLibraries packages)
    {
        foreach (var folder in new[] { SampleFolder, TestsFolder })
        {
            Copy(Path.Combine(PackedLibraries.RepositoryRoot, folder), Path.Combine(Folder, folder));
        }

        var template = Path.Combine(AppContext.BaseDirectory, "TestData", "ExtendingSample");
        foreach (var file in Directory.GetFiles(template, "*.txt"))
        {
            File.Copy(file, Path.Combine(Folder, Path.GetFileNameWithoutExtension(file)));
        }

        PackageIds = ReplaceLibraryReferences(SampleProject);
        ReplaceLibraryReferences(TestProject).Should().BeEmpty("the sample's tests reach the libraries through the sample");
        WritePackageVersions(packages);
        await LocalPackageSource.WriteNuGetConfigAsync(Folder, packages);

        // Known before the restore, so that even a failed build leaves nothing of this run's version behind.
        _restoredPackageFolders.AddRange(LocalPackageSource.RestoredFolders(await LocalPackageSource.GlobalPackagesFolderAsync(Folder), packages));
    }

    /// <summary>Turns each <c>ProjectReference</c> to a library under <c>src/</c> into a <c>PackageReference</c>.</summary>
    private static List<string> ReplaceLibraryReferences(string projectFile)
    {
        var project = XDocument.Load(projectFile);
        var ids = new List<string>();
        foreach (var reference in project.Descendants("ProjectReference").ToList())
        {
            var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
            if (include.Contains("/src/", StringComparison.Ordinal))
            {
                var id = Path.GetFileNameWithoutExtension(include);
                ids.Add(id);
                reference.ReplaceWith(new XElement("PackageReference", new XAttribute("Include", id)));
            }
        }

        project.Save(projectFile);
        return ids;
    }

    /// <summary>The repository's central package versions, with the packed version of every LlmGateway package.</summary>
    private void WritePackageVersions(PackedLibraries packages)
    {
        var props = XDocument.Load(Path.Combine(PackedLibraries.RepositoryRoot, "Directory.Packages.props"));
        var versions = props.Root!.Elements("ItemGroup").First();
        foreach (var id in PackedLibraries.Ids)
        {
            versions.Add(new XElement("PackageVersion", new XAttribute("Include", id), new XAttribute("Version", packages.Version)));
        }

        props.Save(Path.Combine(Folder, "Directory.Packages.props"));
    }

    private static void Copy(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(source).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
        {
            Copy(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }
}
