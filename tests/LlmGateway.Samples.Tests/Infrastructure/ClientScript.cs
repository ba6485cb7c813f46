using System.Security.Cryptography;
using System.Text;

namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>Runs one client script of samples/clients against the host, as its README says.</summary>
internal static class ClientScript
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="script"/> with <paramref name="interpreter"/> in its folder, with the host's base
    /// URL and gateway key in the environment; fails with its output unless it exits 0.</summary>
    public static async Task<string> RunAsync(SampleServers servers, string interpreter, string folder, string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var temporary = new TemporaryDirectory();
        var variables = servers.ClientEnvironment(temporary.Path);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        var directory = Path.Combine(RepositoryPaths.Clients, folder);
        var (exitCode, output) = await ChildProcess.RunAsync(interpreter, [script], directory, variables, Timeout);
        exitCode.Should().Be(0, $"{folder}/{script} should succeed against the host; it wrote:\n{output}");
        return output;
    }

    /// <summary>The stand-in's fingerprint of a key: <c>sha256:</c> and the first 12 hex digits of its SHA-256.</summary>
    public static string Fingerprint(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
}
