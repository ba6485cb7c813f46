using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>
/// The real thin host (LlmGateway.Server.dll, built next to the tests with its appsettings.json) started as a process
/// with a container's environment instead of the test's: what a container would run, without the container.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _client;

    private HostProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    /// <summary>Everything the host wrote so far, for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts the host with <paramref name="environment"/> on top of the test process's own environment less anything
    /// that would configure the host (the test machine's URLs, keys or gateway settings).
    /// </summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string?> environment, int port, string? dataDirectory = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LlmGateway.Server.dll");
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))
        {
            throw new InvalidOperationException("The host's appsettings.json is not next to the tests: the host would not run as it does in the image.");
        }

        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { "exec", dll },
        };
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (ConfiguresTheHost(name))
            {
                start.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value ?? "";
        }

        // The host keeps keys and usage in a SQLite file: in a temporary folder where the image's would be its volume (one
        // folder for hosts that share a volume).
        start.Environment["LlmGateway__DataDirectory"] = dataDirectory ?? Directory.CreateTempSubdirectory("llmgateway-deployment-").FullName;

        return new HostProcess(Process.Start(start) ?? throw new InvalidOperationException("The host did not start."), port);
    }

    /// <summary>Waits until <c>/health/live</c> answers 200; fails with the host's output if it exits or never does.</summary>
    public async Task WaitUntilLiveAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // flushes the output readers
                throw new Xunit.Sdk.XunitException($"The host exited with code {_process.ExitCode} before answering:\n{Output}");
            }

            try
            {
                using var response = await _client.GetAsync("/health/live");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"The host did not answer /health/live on port {Port} within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the host has written a line matching <paramref name="match"/>, and returns it.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_output.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"The host never wrote {what}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<HttpStatusCode> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        return response.StatusCode;
    }

    public async Task<(HttpStatusCode Status, string Body)> GetWithBodyAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>A TCP port nothing listens on, on any address (the host binds every interface, as in a container).</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        }
        catch (SocketException)
        {
            using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            v4.Bind(new IPEndPoint(IPAddress.Any, 0));
            return ((IPEndPoint)v4.LocalEndPoint!).Port;
        }

        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static bool ConfiguresTheHost(string name) =>
        name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(GatewayEnvironment.Prefix, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("OPENAI_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("GEMINI_", StringComparison.OrdinalIgnoreCase)
        || name is "GOOGLE_API_KEY" or "DOTNET_ENVIRONMENT"
        || string.Equals(name, "URLS", StringComparison.OrdinalIgnoreCase);

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
