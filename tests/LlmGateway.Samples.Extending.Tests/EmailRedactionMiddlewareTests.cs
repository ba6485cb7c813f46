using LlmGateway.Samples.Extending.Redaction;
using Microsoft.Extensions.AI;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>The redaction stage in the gateway's pipeline: the simulated Anthropic never sees an address.</summary>
public sealed class EmailRedactionMiddlewareTests : IDisposable
{
    private const string Prompt = "Write to ada@example.com and cc grace.hopper@navy.example.org about the release.";

    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task ChatClient_PromptWithAddresses_ReachesAnthropicRedacted()
    {
        _upstream.ConfigureGateway = gateway => gateway.Use<EmailRedactionMiddleware>();
        _upstream.PostReturnsFile("message-text.json");

        using var chat = _upstream.Gateway.GetChatClient("assistant");
        await chat.GetResponseAsync([new ChatMessage(ChatRole.System, "Mail ops@example.com on failure."), new ChatMessage(ChatRole.User, Prompt)]);

        var sent = _upstream.SingleRequest();
        sent.Message.Body.Should().NotContain("@", "no address may leave for the provider");
        sent.Body.Path("system").GetString().Should().Be("Mail [email] on failure.");
        sent.Body.Path("messages", 0, "content").GetString().Should().Be("Write to [email] and cc [email] about the release.");
    }

    [Fact]
    public async Task SendAsync_StreamingTextParts_ReachAnthropicRedacted()
    {
        _upstream.ConfigureGateway = gateway => gateway.Use<EmailRedactionMiddleware>();
        _upstream.PostReturnsFile("stream-text.sse");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"Reply to bob@example.com"}]}]}
            """);
        await response.ReadEventsAsync();

        var sent = _upstream.SingleRequest();
        sent.Message.Body.Should().NotContain("bob@example.com");
        sent.Message.Body.Should().Contain("Reply to [email]");
    }

    [Fact]
    public async Task WithoutTheStage_TheAddressReachesAnthropic()
    {
        // The control: the addresses are only missing upstream because of the stage.
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync($$"""{"model":"assistant","messages":[{"role":"user","content":"{{Prompt}}"}]}""");

        _upstream.SingleRequest().Message.Body.Should().Contain("ada@example.com");
    }
}
