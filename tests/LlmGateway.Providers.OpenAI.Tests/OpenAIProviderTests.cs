using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.OpenAI.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.Providers.OpenAI.Tests;

/// <summary>The OpenAI provider alone, against WireMock: what it sends upstream and what it makes of the answer.</summary>
public sealed class OpenAIProviderTests : IDisposable
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";
    private const string Completion = """{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hey"},"finish_reason":"stop"}]}""";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly ServiceProvider _services;

    public OpenAIProviderTests()
    {
        var services = new ServiceCollection();
        services.AddLlmGateway().AddOpenAI();
        _services = services.BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task SendAsync_WithKeyOrganizationAndProject_SendsTheirHeaders()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Completion));
        var sut = CreateSut(new OpenAIProviderOptions { ApiKey = "k-123", Organization = "org-1", Project = "proj-1" });

        var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(ChatBody), "gpt-4o-mini", stream: false) { RequestId = "rid-1" });

        response.IsSuccess.Should().BeTrue();
        Encoding.UTF8.GetString(response.Body.Span).Should().Be(Completion);
        var sent = _upstream.LogEntries.Single().RequestMessage;
        sent.Headers!["Authorization"].Should().ContainSingle().Which.Should().Be("Bearer k-123");
        sent.Headers["OpenAI-Organization"].Should().ContainSingle().Which.Should().Be("org-1");
        sent.Headers["OpenAI-Project"].Should().ContainSingle().Which.Should().Be("proj-1");
        sent.Headers["X-Client-Request-Id"].Should().ContainSingle().Which.Should().Be("rid-1");
        sent.Headers["Content-Type"].Should().ContainSingle().Which.Should().StartWith("application/json");
        sent.Body.Should().Be(ChatBody);
    }

    [Fact]
    public async Task SendAsync_LocalServerWithoutKey_SendsNoAuthorization()
    {
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"object":"list","data":[]}"""));
        var sut = CreateSut(new ProviderOptions());

        var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.Embeddings, Encoding.UTF8.GetBytes("""{"model":"nomic","input":"x"}"""), "nomic", stream: false));

        response.IsSuccess.Should().BeTrue();
        _upstream.LogEntries.Single().RequestMessage.Headers!.Should().NotContainKey("Authorization");
    }

    [Fact]
    public async Task SendAsync_OpenAIWithoutKey_FailsWithoutCallingAnything()
    {
        var sut = new OpenAIProviderFactory(_services.GetRequiredService<IHttpMessageHandlerFactory>(), TimeProvider.System, NullLoggerFactory.Instance)
            .Create("openai", new ProviderOptions { Type = "OpenAI" }, new LlmGatewayOptions());

        var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(ChatBody), "gpt-4o-mini", stream: false));

        response.Error!.Kind.Should().Be(GatewayErrorKind.ProviderNotConfigured);
        response.Error.StatusCode.Should().Be(503);
        response.Error.Message.Should().Contain("LlmGateway:Providers:openai:ApiKey");
    }

    [Fact]
    public async Task SendAsync_StreamAnsweredWithJson_IsAnInvalidResponse()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Completion));
        var sut = CreateSut(new ProviderOptions { ApiKey = "k" });

        var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(ChatBody), "gpt-4o-mini", stream: true));

        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamInvalidResponse);
        response.Error.StatusCode.Should().Be((int)HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task SendAsync_StreamFromTestData_YieldsEachEventUntilDone()
    {
        var sse = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "chat-stream.sse"));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        var sut = CreateSut(new ProviderOptions { ApiKey = "k" });

        await using var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(ChatBody), "gpt-4o-mini", stream: true));
        var contents = new List<string>();
        await foreach (var item in response.Events!)
        {
            using var chunk = JsonDocument.Parse(item.Data);
            var choices = chunk.RootElement.GetProperty("choices");
            contents.Add(choices.GetArrayLength() == 0 ? "<usage>" : choices[0].GetProperty("delta").GetProperty("content").GetString() ?? "<role>");
        }

        contents.Should().Equal("<role>", "Hello", ", world", "\n\nline two", "", "<usage>");
    }

    [Fact]
    public async Task ListModelsAsync_ParsesOpenAIsModelList()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"broken"},{"object":"model"}]}"""));
        var sut = CreateSut(new ProviderOptions { ApiKey = "k" });

        var result = await sut.ListModelsAsync();

        result.Error.Should().BeNull();
        result.Models.Select(m => (m.Id, m.Created)).Should().Equal(("gpt-4o", 1715367049L), ("broken", 0L));
    }

    [Fact]
    public async Task ListModelsAsync_UpstreamError_IsAFailure()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/json")
                .WithBody("""{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"""));
        var sut = CreateSut(new ProviderOptions { ApiKey = "bad" });

        var result = await sut.ListModelsAsync();

        result.Models.Should().BeEmpty();
        result.Error!.StatusCode.Should().Be(502, "a refusal of the instance's own key is the operator's problem");
        result.Error.Code.Should().Be("upstream_auth_failed");
    }

    private ILlmProvider CreateSut(ProviderOptions options)
    {
        options.Type = "OpenAI";
        options.BaseUrl ??= _upstream.Urls[0] + "/v1";
        return new OpenAIProviderFactory(_services.GetRequiredService<IHttpMessageHandlerFactory>(), TimeProvider.System, NullLoggerFactory.Instance)
            .Create("test", options, new LlmGatewayOptions());
    }
}
