using System.ClientModel;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The official OpenAI .NET SDK, unchanged but for its endpoint, against the thin host on Kestrel over a real socket,
/// with a stand-in upstream speaking OpenAI's documented wire format.
/// </summary>
public sealed class OpenAISdkEndToEndTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly OpenAIClient _sdk;

    public OpenAISdkEndToEndTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1");
        var address = _host.StartKestrel();
        _sdk = new OpenAIClient(new ApiKeyCredential("any-key-the-gateway-ignores-for-now"), new OpenAIClientOptions { Endpoint = new Uri(address, "/v1") });
    }

    public void Dispose()
    {
        _host.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task ChatCompletion()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        ChatCompletion completion = await _sdk.GetChatClient("gpt-4o-mini").CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")]);

        completion.Content.Single().Text.Should().Be("Hello there!");
        completion.FinishReason.Should().Be(ChatFinishReason.Stop);
        completion.Usage.TotalTokenCount.Should().Be(12);
        using var sent = JsonDocument.Parse(_upstream.LogEntries.Single().RequestMessage.Body!);
        sent.RootElement.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
        sent.RootElement.GetProperty("messages").GetArrayLength().Should().Be(2);
        _upstream.LogEntries.Single().RequestMessage.Headers!["Authorization"].Should().ContainSingle()
            .Which.Should().Be($"Bearer {TestKeys.Upstream}", "the gateway sends its configured provider key, not the client's");
    }

    [Fact]
    public async Task StreamingChatCompletion()
    {
        var sse = new StringBuilder()
            .Append("data: ").Append(Sse.Chunk("c1", "Hel")).Append("\n\n")
            .Append("data: ").Append(Sse.Chunk("c1", "lo!")).Append("\n\n")
            .Append("data: ").Append(Sse.Chunk("c1", "", "stop")).Append("\n\n")
            .Append("data: ").Append("""{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}""").Append("\n\n")
            .Append("data: [DONE]\n\n")
            .ToString();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in _sdk.GetChatClient("gpt-4o-mini").CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        text.ToString().Should().Be("Hello!");
        finish.Should().Be(ChatFinishReason.Stop);
        usage!.TotalTokenCount.Should().Be(7);
    }

    [Fact]
    public async Task EmbeddingsInTheSdksDefaultBase64Encoding()
    {
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.EmbeddingsBase64));

        var embedding = await _sdk.GetEmbeddingClient("text-embedding-3-small").GenerateEmbeddingAsync("hello");

        embedding.Value.ToFloats().ToArray().Should().Equal(0.5f, -0.25f, 0.125f);
        using var sent = JsonDocument.Parse(_upstream.LogEntries.Single().RequestMessage.Body!);
        sent.RootElement.GetProperty("encoding_format").GetString().Should().Be("base64");
    }

    [Fact]
    public async Task Models()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));

        var models = (await _sdk.GetOpenAIModelClient().GetModelsAsync()).Value;
        var one = (await _sdk.GetOpenAIModelClient().GetModelAsync("gpt-4o-mini")).Value;

        models.Select(m => m.Id).Should().Contain(["gpt-4o-mini", "text-embedding-3-small", "llama3.2"]);
        one.Id.Should().Be("gpt-4o-mini");
        one.OwnedBy.Should().Be("openai");
    }

    [Fact]
    public async Task ErrorsReachTheSdkAsOpenAIErrors()
    {
        var call = () => _sdk.GetChatClient("no-such-model").CompleteChatAsync([new UserChatMessage("Hi")]);

        var failure = (await call.Should().ThrowAsync<ClientResultException>()).Which;
        failure.Status.Should().Be(404);
        failure.Message.Should().Contain("no-such-model");
    }
}
