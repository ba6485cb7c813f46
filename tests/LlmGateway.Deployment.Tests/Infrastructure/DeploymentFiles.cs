namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>
/// The repository's files as the checks read them: from the working tree, except those a test replaced with a changed
/// copy (to show that a check notices a broken file).
/// </summary>
internal sealed class DeploymentFiles
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);
    private readonly Dictionary<string, string> _overrides;

    public DeploymentFiles()
        : this(new Dictionary<string, string>(StringComparer.Ordinal))
    {
    }

    private DeploymentFiles(Dictionary<string, string> overrides) => _overrides = overrides;

    /// <summary>The repository's root: the folder holding LlmGateway.sln, above the test's output folder.</summary>
    public static string Root => LazyRoot.Value;

    public string Read(string relativePath) =>
        _overrides.TryGetValue(relativePath, out var text) ? text : File.ReadAllText(Path.Combine(Root, relativePath));

    public bool Exists(string relativePath) =>
        _overrides.ContainsKey(relativePath) || File.Exists(Path.Combine(Root, relativePath));

    /// <summary>The files of a folder (relative paths with '/'), sorted.</summary>
    public static IReadOnlyList<string> List(string relativeFolder, string pattern) =>
        [.. Directory.GetFiles(Path.Combine(Root, relativeFolder), pattern)
            .Select(static p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    /// <summary>These files with <paramref name="relativePath"/> changed by <paramref name="change"/>.</summary>
    public DeploymentFiles With(string relativePath, Func<string, string> change)
    {
        var original = Read(relativePath);
        var changed = change(original);
        if (changed == original)
        {
            throw new InvalidOperationException($"The change to {relativePath} changed nothing: the test would prove nothing.");
        }

        return new DeploymentFiles(new Dictionary<string, string>(_overrides, StringComparer.Ordinal) { [relativePath] = changed });
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"LlmGateway.sln was not found above {AppContext.BaseDirectory}.");
    }
}
