using System.Text.Json;

namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>The JavaScript samples' dependencies: installed once with <c>npm ci</c> (from the committed
/// package-lock.json) when node_modules is missing or holds another openai version than package.json pins.</summary>
internal static class NodeModules
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);

    public static string Directory => Path.Combine(RepositoryPaths.Clients, "javascript");

    public static async Task EnsureInstalledAsync()
    {
        await s_gate.WaitAsync();
        try
        {
            if (InstalledVersion() is { } installed && installed == PinnedVersion())
            {
                return;
            }

            var (exitCode, output) = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], Directory, null, TimeSpan.FromMinutes(5));
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {Directory} (exit {exitCode}):\n{output}");
            }
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static string PinnedVersion()
    {
        using var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "package.json")));
        return package.RootElement.GetProperty("dependencies").GetProperty("openai").GetString()!;
    }

    private static string? InstalledVersion()
    {
        var path = Path.Combine(Directory, "node_modules", "openai", "package.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var package = JsonDocument.Parse(File.ReadAllText(path));
        return package.RootElement.GetProperty("version").GetString();
    }
}
