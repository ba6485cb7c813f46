using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/clients/javascript: each script run with node (the openai npm package from the committed lock
/// file) against the thin host, which forwards to the stand-in upstream.</summary>
[Collection(SamplesDefinition.Name)]
public sealed class JavaScriptClientTests(SampleServers servers) : IAsyncLifetime
{
    public Task InitializeAsync() => NodeModules.EnsureInstalledAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("chat.mjs", new[] { "Echo: Hello from the openai npm package", "served by instance openai (upstream model gpt-4o-mini, attempts 1" })]
    [InlineData("stream.mjs", new[] { "Echo: Stream this sentence back to me", "tokens: 8 in / 7 out" })]
    [InlineData("embeddings.mjs", new[] { "embedding 1: 3 dimensions", "2 embeddings from text-embedding-3-small" })]
    [InlineData("transcription.mjs", new[] { "Transcribed silence.wav (32044 bytes) with whisper-1" })]
    [InlineData("speech.mjs", new[] { "16 bytes of audio/mpeg written to", "starts with an ID3 tag: true" })]
    [InlineData("tools.mjs", new[] { ": get_weather({\"city\":\"test\"})", "answer: Tool said: {\"city\":\"test\",\"temperature_c\":18,\"sky\":\"cloudy\"}" })]
    [InlineData("errors.mjs", new[] { "unknown model: 404 invalid_request_error model_not_found (param model)", "\"code\":\"model_not_found\"", "wrong key: 401 invalid_api_key" })]
    public async Task Script_AgainstTheHost_ExitsZeroWithTheStandInsAnswer(string script, string[] expected)
    {
        var output = await ClientScript.RunAsync(servers, "node", "javascript", script);

        foreach (var text in expected)
        {
            output.Should().Contain(text);
        }
    }

    [Fact]
    public async Task ByokScript_WithAProviderKey_TheUpstreamReceivesThatKey()
    {
        var providerKey = "sk-js-" + Guid.NewGuid().ToString("N");
        var fingerprint = ClientScript.Fingerprint(providerKey);

        var output = await ClientScript.RunAsync(servers, "node", "javascript", "byok.mjs", new Dictionary<string, string> { ["LLMGATEWAY_PROVIDER_KEY"] = providerKey });

        output.Should().Contain("Echo: Billed to my own key").And.Contain($"sent provider key {fingerprint}");
        await servers.StandIn.WaitForOutputAsync($"POST /v1/chat/completions key={fingerprint}", TimeSpan.FromSeconds(10));
    }
}
