using System.Reflection;

namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>Where the samples are: the repository root (found above the test assembly), their project folders and
/// their build outputs.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Samples => Path.Combine(Root, "samples");

    public static string Clients => Path.Combine(Samples, "clients");

    public static string ProjectDirectory(string project) => Path.Combine(Samples, project);

    /// <summary>The built assembly of a sample project (built before the tests: the test project references it).</summary>
    public static string SampleAssembly(string project)
    {
        var path = Path.Combine(ProjectDirectory(project), "bin", Metadata("Configuration"), Metadata("TargetFramework"), project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built at {path}: build the test project (it references the sample).", path);
    }

    private static string Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"No {key} metadata.");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"LlmGateway.sln not found above {AppContext.BaseDirectory}.");
    }
}
