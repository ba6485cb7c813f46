using System.Text.RegularExpressions;
using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/LlmGateway.Samples.InProcess: the console app run as built, its "standin" instance pointed at the
/// stand-in upstream and its "down" instance at a loopback port nothing listens on.</summary>
[Collection(SamplesDefinition.Name)]
public sealed partial class InProcessSampleTests(SampleServers servers)
{
    private const string Project = "LlmGateway.Samples.InProcess";

    [Fact]
    public async Task Sample_WithTheStandIn_ShowsAliasFailoverAndCacheHits()
    {
        var before = ChatRequestsSeenByStandIn();

        var (exitCode, output) = await ChildProcess.RunAsync(
            "dotnet",
            [RepositoryPaths.SampleAssembly(Project)],
            RepositoryPaths.ProjectDirectory(Project),
            new Dictionary<string, string>
            {
                ["LlmGateway__Providers__standin__BaseUrl"] = servers.StandInOpenAIBaseUrl,
                ["LlmGateway__Providers__down__BaseUrl"] = $"http://127.0.0.1:{LoopbackPorts.Free()}/v1",
            },
            TimeSpan.FromSeconds(60));

        exitCode.Should().Be(0, output);
        output.Should().Contain("alias: 'assistant' was answered by model gpt-4o-mini: Echo: Hello from in-process")
            .And.Contain("streaming: Echo: Stream this back")
            .And.Contain("failover: 'resilient' was answered by model echo-1: Echo: Are you there?")
            .And.Contain("failover: 2 attempts, served by instance standin (model echo-1)")
            .And.Contain("the second answer is the first one replayed: True")
            .And.Contain("cache: raw pipeline, first call 1 attempt(s), second call 0 attempts (served from the cache)");

        // Eight chat calls, of which two were cache hits: six reached the upstream.
        await WaitForAsync(() => ChatRequestsSeenByStandIn() >= before + 6);
        ChatRequestsSeenByStandIn().Should().Be(before + 6);
    }

    [Fact]
    public async Task Sample_StandInNotRunning_ExitsOneAndSaysWhatToStart()
    {
        var (exitCode, output) = await ChildProcess.RunAsync(
            "dotnet",
            [RepositoryPaths.SampleAssembly(Project)],
            RepositoryPaths.ProjectDirectory(Project),
            new Dictionary<string, string> { ["LlmGateway__Providers__standin__BaseUrl"] = $"http://127.0.0.1:{LoopbackPorts.Free()}/v1" },
            TimeSpan.FromSeconds(60));

        exitCode.Should().Be(1);
        output.Should().Contain("upstream_unreachable").And.Contain("dotnet run --project samples/LlmGateway.StandInUpstream");
    }

    private int ChatRequestsSeenByStandIn() => ChatRequestLine().Count(servers.StandIn.Output);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    [GeneratedRegex("^POST /v1/chat/completions key=", RegexOptions.Multiline)]
    private static partial Regex ChatRequestLine();
}
