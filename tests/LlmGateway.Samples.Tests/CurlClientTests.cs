using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/clients/curl: each script run with bash against the thin host, which forwards to the stand-in
/// upstream.</summary>
[Collection(SamplesDefinition.Name)]
public sealed class CurlClientTests(SampleServers servers)
{
    [Theory]
    [InlineData("chat.sh", new[] { "Echo: Hello from curl", "x-llmgateway-provider: openai", "x-llmgateway-attempts: 1" })]
    [InlineData("stream.sh", new[] { "\"delta\":{\"content\":\"Echo: \"}", "\"usage\":{\"prompt_tokens\":8", "data: [DONE]", "stream complete" })]
    [InlineData("embeddings.sh", new[] { "embedding 1: 3 dimensions", "2 embeddings from text-embedding-3-small" })]
    [InlineData("transcription.sh", new[] { "transcription: Transcribed silence.wav (32044 bytes) with whisper-1" })]
    [InlineData("speech.sh", new[] { "16 bytes of audio/mpeg written to", "starts with: ID3" })]
    [InlineData("tools.sh", new[] { ": get_weather({\"city\":\"test\"})", "answer: Tool said: {\"city\":\"test\",\"temperature_c\":18,\"sky\":\"cloudy\"}" })]
    [InlineData("errors.sh", new[] { "unknown model: HTTP 404", "\"code\": \"model_not_found\"", "wrong key: HTTP 401 invalid_api_key" })]
    public async Task Script_AgainstTheHost_ExitsZeroWithTheStandInsAnswer(string script, string[] expected)
    {
        var output = await ClientScript.RunAsync(servers, "bash", "curl", script);

        foreach (var text in expected)
        {
            output.Should().Contain(text);
        }
    }

    [Fact]
    public async Task ByokScript_WithAProviderKey_TheUpstreamReceivesThatKey()
    {
        var providerKey = "sk-curl-" + Guid.NewGuid().ToString("N");
        var fingerprint = ClientScript.Fingerprint(providerKey);

        var output = await ClientScript.RunAsync(servers, "bash", "curl", "byok.sh", new Dictionary<string, string> { ["LLMGATEWAY_PROVIDER_KEY"] = providerKey });

        output.Should().Contain("Echo: Billed to my own key").And.Contain($"sent provider key {fingerprint}");
        await servers.StandIn.WaitForOutputAsync($"POST /v1/chat/completions key={fingerprint}", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ChatScript_HostNotListening_ExitsNonZero()
    {
        using var temporary = new TemporaryDirectory();
        var environment = servers.ClientEnvironment(temporary.Path);
        environment["LLMGATEWAY_BASE_URL"] = $"http://127.0.0.1:{LoopbackPorts.Free()}/v1";

        var (exitCode, _) = await ChildProcess.RunAsync("bash", ["chat.sh"], Path.Combine(RepositoryPaths.Clients, "curl"), environment, ClientScript.Timeout);

        exitCode.Should().NotBe(0);
    }
}
