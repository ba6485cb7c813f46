using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>
/// A process the tests start (a sample app, node, bash, python3), with what it writes captured line by line. Its
/// environment is the test's, less what would point a sample elsewhere (provider keys and URLs, gateway settings,
/// proxies), plus what the test gives. Disposing it kills it and its children.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private static readonly string[] s_removedVariables =
    [
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY",
        "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
        "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
    ];

    private static readonly string[] s_removedPrefixes = ["LlmGateway__", "LLMGATEWAY_"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written to standard output and standard error so far, line by line as it arrived.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            if (s_removedVariables.Contains(name) || s_removedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var description = $"{fileName} {string.Join(' ', info.ArgumentList)}";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{description} did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not start '{fileName}': is it installed and on the PATH? The samples' tests need dotnet, node and npm, bash, curl, jq and python3.", ex);
        }

        var child = new ChildProcess(process, description);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs a command to its end and returns its exit code and output; one still running after
    /// <paramref name="timeout"/> is killed and the test fails with what it wrote.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        using var child = Start(fileName, arguments, workingDirectory, environment);
        var exitCode = await child.WaitForExitAsync(timeout);
        return (exitCode, child.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"{Description} did not finish within {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        _process.WaitForExit(); // the output handlers have run to the end
        return _process.ExitCode;
    }

    /// <summary>Waits until the output has a line containing <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Description} did not write '{text}' within {timeout.TotalSeconds} s. Output:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Append(line).Append('\n');
        }
    }
}
