using System.Text;
using LlmGateway.Samples.Extending.Redaction;

namespace LlmGateway.Samples.Extending.Tests;

public sealed class EmailRedactorTests
{
    [Theory]
    [InlineData("Mail ada@example.com now", "Mail [email] now")]
    [InlineData("first.last+tag@mail.example.co.uk, bob_1@x-y.io.", "[email], [email].")]
    [InlineData("Write to ADA@EXAMPLE.COM", "Write to [email]")]
    public void Redact_ReplacesEveryAddress(string text, string expected) =>
        EmailRedactor.Redact(text).Should().Be(expected);

    [Theory]
    [InlineData("No address here.")]
    [InlineData("@handle and user@localhost and a@b")]
    [InlineData("price: 5 @ 3.50")]
    public void Redact_LeavesTextWithoutAnAddressAlone(string text) =>
        EmailRedactor.Redact(text).Should().Be(text);

    [Fact]
    public void RedactChatRequest_RedactsMessageTextsAndKeepsEverythingElse()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"model":"assistant","temperature":0.2,"metadata":{"owner":"ops@example.com"},"messages":[
              {"role":"system","content":"Reply to help@example.com."},
              {"role":"user","content":[{"type":"text","text":"I am ada@example.com"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}
            """);

        var redacted = Json.Parse(EmailRedactor.RedactChatRequest(body));

        redacted.ShouldEqualJson("""
            {"model":"assistant","temperature":0.2,"metadata":{"owner":"ops@example.com"},"messages":[
              {"role":"system","content":"Reply to [email]."},
              {"role":"user","content":[{"type":"text","text":"I am [email]"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}
            """);
    }

    [Fact]
    public void RedactChatRequest_NothingToRedact_ReturnsTheSameBody()
    {
        ReadOnlyMemory<byte> body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");

        var result = EmailRedactor.RedactChatRequest(body);

        result.Equals(body).Should().BeTrue("a body with nothing to redact is passed on without a copy");
    }
}
