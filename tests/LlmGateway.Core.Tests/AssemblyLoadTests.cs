using System.Diagnostics;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.Core.Tests;

/// <summary>
/// An app that uses the gateway without Redis loads neither the Redis client nor ASP.NET Core Data Protection: they
/// come with LlmGateway.Redis. Checked in a process of its own (LlmGateway.AssemblyProbe), since this test process
/// loads both for the Redis store tests.
/// </summary>
public sealed class AssemblyLoadTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task InProcessChat_WithoutRedis_LoadsNeitherStackExchangeRedisNorDataProtection()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"probe answer"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}
                """));

        var (exitCode, output) = await RunProbeAsync(_upstream.Urls[0] + "/v1", "probe-upstream-key");

        exitCode.Should().Be(0, output);
        var loaded = output.Split('\n').Select(static l => l.Trim()).Where(static l => l.StartsWith("loaded: ", StringComparison.Ordinal))
            .Select(static l => l["loaded: ".Length..]).ToList();
        output.Should().Contain("answer: probe answer", "the chat request went through the gateway");
        loaded.Should().Contain(["LlmGateway.Core", "LlmGateway.Providers.OpenAI"], "the listing is of the probe's process");
        loaded.Should().NotContain(static name => name.StartsWith("StackExchange.Redis", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
    }

    private static async Task<(int ExitCode, string Output)> RunProbeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "LlmGateway.AssemblyProbe.dll") },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing from this process's environment fills in the probe's gateway (no OPENAI_* fallback).
        start.Environment.Remove("OPENAI_API_KEY");
        start.Environment.Remove("OPENAI_BASE_URL");
        start.Environment.Remove("GEMINI_API_KEY");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
