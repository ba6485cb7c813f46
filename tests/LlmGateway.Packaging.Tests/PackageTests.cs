using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LlmGateway.Packaging.Tests.Infrastructure;

namespace LlmGateway.Packaging.Tests;

/// <summary>What <c>dotnet pack</c> makes of the four libraries: the packages nuget.org shows and the symbols a
/// debugger fetches.</summary>
[Collection(PackedLibrariesDefinition.Name)]
public sealed partial class PackageTests(PackedLibraries packages)
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    public static TheoryData<string> Ids => [.. PackedLibraries.Ids];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_EachLibrary_HasTheNuGetOrgMetadata(string id)
    {
        var metadata = packages.Nuspec(id);

        Value(metadata, "id").Should().Be(id);
        Value(metadata, "version").Should().Be(packages.Version);
        Value(metadata, "authors").Should().Be("LlmGateway contributors");
        Value(metadata, "description").Should().NotBeNullOrWhiteSpace();
        Value(metadata, "projectUrl").Should().Be(PackedLibraries.RepositoryUrl);
        Value(metadata, "tags").Should().NotBeNull().And.Subject!.Split(' ').Should().Contain(["llm", "openai", "gemini"]);
        var license = Element(metadata, "license");
        license.Should().NotBeNull();
        license!.Attribute("type")!.Value.Should().Be("expression");
        license.Value.Should().Be("MIT");
        var repository = Element(metadata, "repository");
        repository.Should().NotBeNull();
        repository!.Attribute("type")!.Value.Should().Be("git");
        repository.Attribute("url")!.Value.Should().Be(PackedLibraries.RepositoryUrl);
        repository.Attribute("commit").Should().NotBeNull("SourceLink reads the commit from the clone");
        repository.Attribute("commit")!.Value.Should().MatchRegex("^[0-9a-f]{40}$");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_EachLibrary_CarriesItsOwnReadmeWithAbsoluteLinksOnly(string id)
    {
        Value(packages.Nuspec(id), "readme").Should().Be("README.md");

        var readme = Entry(packages.PackagePath(id), "README.md");

        readme.Should().StartWith($"# {id}", "each package has its own readme, named after it");
        MarkdownLink().Matches(readme).Select(m => m.Groups["target"].Value)
            .Should().NotBeEmpty().And.OnlyContain(target => target.StartsWith("https://", StringComparison.Ordinal),
                "nuget.org shows the readme without the repository around it, where a relative link leads nowhere");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_EachLibrary_HasTheAssemblyAndItsDocumentation(string id)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));

        package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("lib/", StringComparison.Ordinal))
            .Should().BeEquivalentTo($"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml");
    }

    [Fact]
    public void Pack_Dependencies_ProvidersAndAspNetCoreDependOnCoreOfTheSameVersionOnly()
    {
        foreach (var id in PackedLibraries.Ids.Skip(1).Where(static id => id is not ("LlmGateway.Redis" or "LlmGateway.EntityFrameworkCore")))
        {
            Dependencies(packages.Nuspec(id)).Should().Equal([("LlmGateway.Core", packages.Version)], $"{id} depends on Core alone");
        }
    }

    [Fact]
    public void Pack_Dependencies_RedisBringsTheRedisClientAndDataProtectionOnTopOfCore()
    {
        var redis = Dependencies(packages.Nuspec("LlmGateway.Redis"));

        redis.Should().Contain(("LlmGateway.Core", packages.Version));
        redis.Select(d => d.Id).Should().Contain(["StackExchange.Redis", "Microsoft.AspNetCore.DataProtection", "Microsoft.AspNetCore.DataProtection.StackExchangeRedis"]);
        redis.Select(d => d.Id).Where(id => id.StartsWith("LlmGateway.", StringComparison.Ordinal)).Should().Equal(["LlmGateway.Core"], "Redis extends Core only");
    }

    [Fact]
    public void Pack_Dependencies_EntityFrameworkCoreBringsEfCoreAndBothProvidersOnTopOfCoreButNotTheDesignTools()
    {
        var database = Dependencies(packages.Nuspec("LlmGateway.EntityFrameworkCore"));

        database.Should().Contain(("LlmGateway.Core", packages.Version));
        database.Select(d => d.Id).Should().Contain(["Microsoft.EntityFrameworkCore.Sqlite", "Npgsql.EntityFrameworkCore.PostgreSQL"]);
        database.Select(d => d.Id).Should().NotContain("Microsoft.EntityFrameworkCore.Design", "the design tools make migrations at build time only");
        database.Select(d => d.Id).Where(id => id.StartsWith("LlmGateway.", StringComparison.Ordinal)).Should().Equal(["LlmGateway.Core"], "the database package extends Core only");
    }

    [Fact]
    public void Pack_Dependencies_CoreHasOnlyLibraryDependencies()
    {
        var core = Dependencies(packages.Nuspec("LlmGateway.Core")).Select(d => d.Id).ToList();

        core.Should().Contain(["Microsoft.Extensions.AI.Abstractions", "OpenAI"]);
        core.Should().NotContain(id => id.StartsWith("StackExchange.Redis", StringComparison.Ordinal) || id.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal),
            "Redis and Data Protection come with LlmGateway.Redis, for the apps that use it");
        core.Should().NotContain(id => id.StartsWith("LlmGateway.", StringComparison.Ordinal)
            || id.StartsWith("xunit", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("Microsoft.NET.Test", StringComparison.Ordinal)
            || id.StartsWith("Microsoft.AspNetCore.Mvc.Testing", StringComparison.Ordinal)
            || id.EndsWith(".Testing", StringComparison.Ordinal)
            || id == "FluentAssertions" || id.StartsWith("WireMock", StringComparison.Ordinal)
            || id == "BenchmarkDotNet" || id.StartsWith("Yarp", StringComparison.Ordinal)
            || id.StartsWith("OpenTelemetry", StringComparison.Ordinal),
            "tests, benchmarks and the thin host's exporters are not the libraries' dependencies");
    }

    [Fact]
    public void Pack_FrameworkReferences_OnlyAspNetCoreNeedsTheAspNetCoreFramework()
    {
        foreach (var id in PackedLibraries.Ids)
        {
            var frameworks = packages.Nuspec(id).Descendants().Where(e => e.Name.LocalName == "frameworkReference").Select(e => e.Attribute("name")!.Value);

            frameworks.Should().BeEquivalentTo(id == "LlmGateway.AspNetCore" ? ["Microsoft.AspNetCore.App"] : Array.Empty<string>(), id);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_EachLibrary_HasASymbolPackageWhosePdbMatchesTheAssembly(string id)
    {
        using var pe = new PEReader(new MemoryStream(EntryBytes(packages.PackagePath(id), $"lib/net10.0/{id}.dll")));
        using var pdb = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(EntryBytes(packages.SymbolPackagePath(id), $"lib/net10.0/{id}.pdb")));

        var debugDirectory = pe.ReadDebugDirectory();
        debugDirectory.Select(e => e.Type).Should().Contain(DebugDirectoryEntryType.Reproducible, "the compiler ran with Deterministic");
        var codeView = pe.ReadCodeViewDebugDirectoryData(debugDirectory.Single(e => e.Type == DebugDirectoryEntryType.CodeView));
        var pdbId = new BlobContentId(pdb.GetMetadataReader().DebugMetadataHeader!.Id);
        pdbId.Guid.Should().Be(codeView.Guid, "the symbol package's PDB is the one the packaged assembly was built with");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_EachLibrary_PdbLinksItsSourcesToTheCommitOnGitHubAndEmbedsGeneratedOnes(string id)
    {
        var commit = Element(packages.Nuspec(id), "repository")!.Attribute("commit")!.Value;
        using var pdb = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(EntryBytes(packages.SymbolPackagePath(id), $"lib/net10.0/{id}.pdb")));
        var reader = pdb.GetMetadataReader();

        var sourceLink = reader.CustomDebugInformation.Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
            .Select(c => JsonDocument.Parse(reader.GetBlobBytes(c.Value)).RootElement.GetProperty("documents").EnumerateObject().Select(p => p.Value.GetString()).ToList())
            .Should().ContainSingle("SourceLink is on").Subject;
        sourceLink.Should().Equal([$"https://raw.githubusercontent.com/llmgateway/llmgateway/{commit}/*"]);

        var embedded = reader.CustomDebugInformation.Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == EmbeddedSourceKind && c.Parent.Kind == HandleKind.Document)
            .Select(c => reader.GetString(reader.GetDocument((DocumentHandle)c.Parent).Name));
        embedded.Should().Contain(name => name.EndsWith($"{id}.AssemblyInfo.cs", StringComparison.Ordinal),
            "sources the build generates are in no repository, so they are embedded (EmbedUntrackedSources)");
    }

    private static XElement? Element(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name);

    private static string? Value(XElement metadata, string name) => Element(metadata, name)?.Value;

    private static List<(string Id, string Version)> Dependencies(XElement metadata) =>
        metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (e.Attribute("id")!.Value, e.Attribute("version")!.Value))
            .ToList();

    private static byte[] EntryBytes(string package, string name)
    {
        using var zip = ZipFile.OpenRead(package);
        var entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"{Path.GetFileName(package)} has no {name}: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string Entry(string package, string name) => Encoding.UTF8.GetString(EntryBytes(package, name));

    /// <summary>A markdown link's target: [text](target).</summary>
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)")]
    private static partial Regex MarkdownLink();
}
