using Microsoft.Extensions.AI;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>Chat through the gateway to the simulated Anthropic API: what Anthropic receives and what the client gets,
/// non-streaming, through the in-process <see cref="IChatClient"/> and the raw OpenAI-format pipeline.</summary>
public sealed class AnthropicChatTests : IDisposable
{
    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task ChatClient_AliasRequest_IsSentAsAnthropicMessagesRequest()
    {
        _upstream.PostReturnsFile("message-text.json");
        var chat = _upstream.Gateway.GetChatClient("assistant");

        var response = await chat.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hello")],
            new ChatOptions { MaxOutputTokens = 100, Temperature = 0.5f, TopP = 0.9f, StopSequences = ["END"] });

        var sent = _upstream.SingleRequest().Body;
        sent.Path("model").GetString().Should().Be(AnthropicUpstream.Model, "the alias resolves to its target's model");
        sent.Path("max_tokens").GetInt32().Should().Be(100);
        sent.Path("system").GetString().Should().Be("Be brief.");
        sent.Path("messages").ShouldEqualJson("""[{"role":"user","content":"Hello"}]""");
        sent.Path("temperature").GetDouble().Should().BeApproximately(0.5, 1e-6);
        sent.Path("top_p").GetDouble().Should().BeApproximately(0.9, 1e-6);
        sent.Path("stop_sequences").ShouldEqualJson("""["END"]""");
        sent.Has("stream").Should().BeFalse();
        sent.EnumerateObject().Select(p => p.Name).Should().BeSubsetOf(
            ["model", "max_tokens", "system", "messages", "temperature", "top_p", "stop_sequences"],
            "OpenAI-only members must not reach Anthropic, which rejects unknown ones");

        response.Text.Should().Be("Hello! How can I help you today?");
        response.ModelId.Should().Be("claude-sonnet-4-5-20250929");
        response.FinishReason.Should().Be(ChatFinishReason.Stop);
        response.Usage!.InputTokenCount.Should().Be(12);
        response.Usage.OutputTokenCount.Should().Be(10);
    }

    [Fact]
    public async Task SendAsync_RawChatCompletion_IsTranslatedBothWays()
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","messages":[
              {"role":"developer","content":"You are terse."},
              {"role":"system","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":"Bonjour."},
              {"role":"user","content":[{"type":"text","text":"Tell me"},{"type":"text","text":"a joke"}]}],
             "max_tokens":50,"stop":"###","seed":7,"user":"u-1"}
            """);

        var sent = _upstream.SingleRequest().Body;
        sent.ShouldEqualJson("""
            {"model":"claude-sonnet-4-5","max_tokens":50,"system":"You are terse.\n\nAnswer in French.",
             "messages":[
               {"role":"user","content":"Hi"},
               {"role":"assistant","content":"Bonjour."},
               {"role":"user","content":[{"type":"text","text":"Tell me"},{"type":"text","text":"a joke"}]}],
             "stop_sequences":["###"]}
            """);

        response.ProviderName.Should().Be("anthropic");
        var body = response.Json();
        body.Path("object").GetString().Should().Be("chat.completion");
        body.Path("id").GetString().Should().Be("msg_01XFDUDYJgAACzvnptvVoYEL");
        body.Path("model").GetString().Should().Be("claude-sonnet-4-5-20250929");
        body.Path("choices", 0, "message", "role").GetString().Should().Be("assistant");
        body.Path("choices", 0, "message", "content").GetString().Should().Be("Hello! How can I help you today?");
        body.Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
        body.Path("usage").ShouldEqualJson("""{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22,"prompt_tokens_details":{"cached_tokens":0}}""");
    }

    [Fact]
    public async Task SendAsync_NoMaxTokens_SendsTheDefaultAnthropicRequires()
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","messages":[{"role":"user","content":"Hi"}]}""");

        _upstream.SingleRequest().Body.Path("max_tokens").GetInt32().Should().Be(1024);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_MaxCompletionTokens_WinsOverMaxTokens()
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"max_completion_tokens":300}""");

        _upstream.SingleRequest().Body.Path("max_tokens").GetInt32().Should().Be(300);
    }

    [Fact]
    public async Task SendAsync_StopReasonMaxTokens_IsFinishReasonLength()
    {
        _upstream.PostReturnsFile("message-max-tokens.json");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","messages":[{"role":"user","content":"Tell a story"}],"max_tokens":3}""");

        response.Json().Path("choices", 0, "finish_reason").GetString().Should().Be("length");
    }

    [Fact]
    public async Task SendAsync_BareModelId_GoesToTheInstanceThatListsIt()
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync("""{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}""");

        response.ProviderName.Should().Be("anthropic");
        _upstream.SingleRequest().Body.Path("model").GetString().Should().Be("claude-sonnet-4-5");
    }

    [Fact]
    public async Task SendAsync_ImagePart_IsRefusedAsUnsupportedWithoutCallingAnthropic()
    {
        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}
            """);

        response.Error!.StatusCode.Should().Be(400);
        response.Error.Code.Should().Be("unsupported_operation");
        response.Error.Message.Should().Contain("image_url");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_SeveralChoices_IsRefusedAsUnsupported()
    {
        await using var response = await _upstream.SendAsync("""{"model":"assistant","messages":[{"role":"user","content":"Hi"}],"n":2}""");

        response.Error!.Kind.Should().Be(GatewayErrorKind.UnsupportedOperation);
        response.Error.Param.Should().Be("n");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_Embeddings_IsUnsupportedForAnthropic()
    {
        await using var response = await _upstream.Gateway.SendAsync(new GatewayRequest(
            GatewayOperation.Embeddings, """{"model":"assistant","input":"Hi"}"""u8.ToArray()));

        response.Error!.Code.Should().Be("unsupported_operation");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_NoApiKey_IsProviderNotConfigured()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:ApiKey"] = string.Empty;

        await using var response = await _upstream.SendAsync("""{"model":"assistant","messages":[{"role":"user","content":"Hi"}]}""");

        response.Error!.StatusCode.Should().Be(503);
        response.Error.Code.Should().Be("provider_not_configured");
        response.Error.Message.Should().Contain("LlmGateway:Providers:anthropic:ApiKey");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task ListModelsAsync_ListsTheConfiguredModels()
    {
        var models = await _upstream.Gateway.ListModelsAsync();

        models.Select(m => m.Id).Should().Contain(["claude-sonnet-4-5", "assistant"]);
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public void Options_InvalidBaseUrl_IsRejectedByTheFactorysValidation()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:BaseUrl"] = "api.anthropic.com";

        var act = () => _upstream.Gateway;

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Message.Should().Contain("LlmGateway:Providers:anthropic:BaseUrl");
    }

    [Fact]
    public void Options_OpenAISetting_IsRejectedForAnAnthropicInstance()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:Organization"] = "org-1";

        var act = () => _upstream.Gateway;

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Message.Should().Contain("Organization");
    }
}
