using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml.Linq;

namespace LlmGateway.Packaging.Tests.Infrastructure;

/// <summary>
/// Packs the libraries once for all the tests of the collection, as <c>dotnet pack</c> does for a release, with a
/// version no earlier run used (so no NuGet cache can answer for them), into a temporary folder; builds go to a
/// temporary artifacts folder, so the repository's own bin and obj folders are left alone. Every warning fails the pack.
/// </summary>
public sealed class PackedLibraries : IAsyncLifetime
{
    /// <summary>The package ids, in dependency order.</summary>
    public static readonly IReadOnlyList<string> Ids = ["LlmGateway.Core", "LlmGateway.Providers.OpenAI", "LlmGateway.Providers.Gemini", "LlmGateway.AspNetCore", "LlmGateway.Redis", "LlmGateway.EntityFrameworkCore"];

    /// <summary>The repository the packages name (src/Directory.Build.props).</summary>
    public const string RepositoryUrl = "https://github.com/llmgateway/llmgateway";

    private readonly Lazy<Task<ConsumerApp>> _consumer;

    public PackedLibraries()
    {
        Directory.CreateDirectory(Root);
        _consumer = new Lazy<Task<ConsumerApp>>(() => ConsumerApp.StartAsync(this));
    }

    /// <summary>Gets the version the packages were made with: a prerelease no earlier run used.</summary>
    public string Version { get; } = string.Create(CultureInfo.InvariantCulture, $"0.0.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{RandomNumberGenerator.GetHexString(6, lowercase: true)}");

    /// <summary>Gets the temporary folder everything of this run goes into.</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "llmgateway-packaging-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets the folder the packages were written to: the local package source of the consumer app.</summary>
    public string PackageFolder => Path.Combine(Root, "packages");

    /// <summary>Gets the repository's root folder.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Gets the fresh app that uses the packages, built and started on first use.</summary>
    public Task<ConsumerApp> ConsumerAsync() => _consumer.Value;

    public string PackagePath(string id) => Path.Combine(PackageFolder, $"{id}.{Version}.nupkg");

    public string SymbolPackagePath(string id) => Path.Combine(PackageFolder, $"{id}.{Version}.snupkg");

    /// <summary>Reads a package's nuspec (its metadata element).</summary>
    public XElement Nuspec(string id)
    {
        using var package = ZipFile.OpenRead(PackagePath(id));
        var entry = package.Entries.Single(e => e.FullName == id + ".nuspec");
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    public async Task InitializeAsync()
    {
        var artifacts = Path.Combine(Root, "artifacts");
        foreach (var id in Ids)
        {
            // One project at a time (a project reference builds Core once; the next pack finds it up to date).
            await ChildProcess.RunAsync(RepositoryRoot, TimeSpan.FromMinutes(4),
                "pack", Path.Combine("src", id, id + ".csproj"), "--configuration", "Release", "--artifacts-path", artifacts,
                "--output", PackageFolder, "-p:Version=" + Version, "-warnaserror", "-nodeReuse:false");
        }
    }

    public async Task DisposeAsync()
    {
        if (_consumer.IsValueCreated)
        {
            try
            {
                (await _consumer.Value).Dispose();
            }
            catch (Exception)
            {
                // It failed to start; the tests that used it reported why.
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; the machine cleans it up eventually.
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No LlmGateway.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class PackedLibrariesDefinition : ICollectionFixture<PackedLibraries>
{
    public const string Name = "Packages";
}
