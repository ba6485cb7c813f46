using System.Globalization;

namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>
/// The stand-in upstream and the thin host, built and started as a user would run them (<c>dotnet &lt;dll&gt; --urls
/// … --contentRoot &lt;project&gt;</c>) on free loopback ports, the host pointed at the stand-in for OpenAI and Gemini
/// models and in Auth mode Hybrid with one gateway key, as samples/clients/README.md starts it. Shared by the tests of
/// the <see cref="SamplesDefinition"/>.
/// </summary>
public sealed class SampleServers : IAsyncLifetime
{
    /// <summary>The gateway key the host accepts; the client scripts get it as <c>LLMGATEWAY_API_KEY</c>.</summary>
    public const string GatewayKey = "samples-tests-gateway-key";

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private ChildProcess? _standIn;
    private ChildProcess? _host;
    private ChildProcess? _aspNetCoreSample;

    public int StandInPort { get; } = LoopbackPorts.Free();

    public int HostPort { get; } = LoopbackPorts.Free();

    public int AspNetCoreSamplePort { get; private set; }

    /// <summary>The host's OpenAI base URL, as the client scripts take it in <c>LLMGATEWAY_BASE_URL</c>.</summary>
    public string HostBaseUrl => $"http://127.0.0.1:{HostPort}/v1";

    public string StandInOpenAIBaseUrl => $"http://127.0.0.1:{StandInPort}/v1";

    /// <summary>What the stand-in has written: one line per request with a fingerprint of the key it carried.</summary>
    public ChildProcess StandIn => _standIn ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _standIn = StartDotnet("LlmGateway.StandInUpstream", StandInPort, new Dictionary<string, string>());
        _host = StartDotnet("LlmGateway.Server", HostPort, new Dictionary<string, string>
        {
            ["OPENAI_BASE_URL"] = StandInOpenAIBaseUrl,
            ["LlmGateway__Providers__gemini__BaseUrl"] = $"http://127.0.0.1:{StandInPort}/v1beta",
            ["GEMINI_API_KEY"] = "stand-in-gemini-key",
            ["LlmGateway__Auth__Mode"] = "Hybrid",
            ["LlmGateway__Auth__Keys__0__Key"] = GatewayKey,
            ["LlmGateway__Auth__Keys__0__Name"] = "samples-tests",
            ["LlmGateway__DataDirectory"] = Directory.CreateTempSubdirectory("llmgateway-samples-").FullName,
        });
        await WaitUntilAnswersAsync(_standIn, $"{StandInOpenAIBaseUrl}/models");
        await WaitUntilAnswersAsync(_host, $"http://127.0.0.1:{HostPort}/health/live");
    }

    /// <summary>The ASP.NET Core sample app, started on first use (with the key of its appsettings.json and its OpenAI
    /// instance pointed at the stand-in) and kept for the other tests; returns its base URL.</summary>
    public async Task<string> AspNetCoreSampleAsync()
    {
        if (_aspNetCoreSample is null)
        {
            AspNetCoreSamplePort = LoopbackPorts.Free();
            _aspNetCoreSample = StartDotnet("LlmGateway.Samples.AspNetCore", AspNetCoreSamplePort, new Dictionary<string, string> { ["OPENAI_BASE_URL"] = StandInOpenAIBaseUrl });
        }

        var baseUrl = $"http://127.0.0.1:{AspNetCoreSamplePort}";
        await WaitUntilAnswersAsync(_aspNetCoreSample, baseUrl + "/");
        return baseUrl;
    }

    public Task DisposeAsync()
    {
        _aspNetCoreSample?.Dispose();
        _host?.Dispose();
        _standIn?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The environment a client script runs with against the host.</summary>
    public Dictionary<string, string> ClientEnvironment(string temporaryDirectory) => new()
    {
        ["LLMGATEWAY_BASE_URL"] = HostBaseUrl,
        ["LLMGATEWAY_API_KEY"] = GatewayKey,
        ["TMPDIR"] = temporaryDirectory,
    };

    /// <summary>Starts a built sample app on a loopback port, with its project folder as content root.</summary>
    public static ChildProcess StartDotnet(string project, int port, IReadOnlyDictionary<string, string> environment) =>
        ChildProcess.Start(
            "dotnet",
            [RepositoryPaths.SampleAssembly(project), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--contentRoot", RepositoryPaths.ProjectDirectory(project)],
            RepositoryPaths.ProjectDirectory(project),
            environment);

    /// <summary>Polls <paramref name="url"/> until it answers 200, failing with the process's output if it exits or the
    /// deadline passes first.</summary>
    public static async Task WaitUntilAnswersAsync(ChildProcess process, string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Description} exited at start. Output:\n{process.Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Too slow to answer yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{url} did not answer 200 within {StartTimeout.TotalSeconds} s. Output of {process.Description}:\n{process.Output}");
            }

            await Task.Delay(100);
        }
    }
}
