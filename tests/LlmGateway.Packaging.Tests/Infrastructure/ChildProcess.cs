using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace LlmGateway.Packaging.Tests.Infrastructure;

/// <summary>
/// A <c>dotnet</c> process (the SDK that runs the tests) with its output captured for assertion messages. Disposing it
/// kills its whole process tree.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly Action<string>? _onLine;

    private ChildProcess(ProcessStartInfo start, Action<string>? onLine)
    {
        _onLine = onLine;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Gets the command line, for messages.</summary>
    public string CommandLine => $"dotnet {string.Join(' ', _process.StartInfo.ArgumentList)} (in {_process.StartInfo.WorkingDirectory})";

    /// <summary>Gets everything the process wrote so far, standard output and error interleaved.</summary>
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

    /// <summary>Gets the task that completes when the process exits.</summary>
    public Task Exited => _process.WaitForExitAsync();

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet</c> with <paramref name="arguments"/>.</summary>
    /// <param name="workingDirectory">The working directory.</param>
    /// <param name="arguments">The arguments, each passed as one.</param>
    /// <param name="environment">Variables to set (a null value removes one) on top of <see cref="CleanEnvironment"/>.</param>
    /// <param name="onLine">Called with each line of output as it arrives.</param>
    public static ChildProcess Start(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo(DotNetHost)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        CleanEnvironment(start.Environment);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new ChildProcess(start, onLine);
    }

    /// <summary>Runs <c>dotnet</c> to its end and returns its output; fails the test, with the output, when it exits with
    /// an error or outlives <paramref name="timeout"/>.</summary>
    public static async Task<string> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(workingDirectory, arguments);
        await process.WaitForExitAsync(timeout);
        if (process.ExitCode != 0)
        {
            throw new XunitException($"{process.CommandLine} exited with {process.ExitCode}:{Environment.NewLine}{process.Output}");
        }

        return process.Output;
    }

    /// <summary>Waits for the process to exit; kills it and fails the test, with its output, after
    /// <paramref name="timeout"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new XunitException($"{CommandLine} did not finish within {timeout}:{Environment.NewLine}{Output}");
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>
    /// The variables every child gets: English output (parsed by the tests), no build server or MSBuild node left
    /// running after the command (it would hold the output pipes open, and the CPU), none of the MSBuild variables
    /// <c>dotnet test</c> leaves in the test process's environment, and none of the variables the gateway falls back to
    /// (a developer's real <c>OPENAI_API_KEY</c> must not reach the consumer app).
    /// </summary>
    private static void CleanEnvironment(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(static k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("LlmGateway__", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            environment.Remove(name);
        }

        foreach (var name in new[] { "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY", "DOTNET_ENVIRONMENT" })
        {
            environment.Remove(name);
        }

        environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["UseSharedCompilation"] = "false";
    }

    /// <summary>The <c>dotnet</c> that runs the tests (set by the SDK for the processes it starts), else the one on the PATH.</summary>
    private static string DotNetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
        }

        _onLine?.Invoke(line);
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
    }
}
