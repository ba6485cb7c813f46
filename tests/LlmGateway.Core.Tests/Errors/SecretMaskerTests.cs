using System.Text;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Errors;

public class SecretMaskerTests
{
    [Theory]
    [InlineData("Incorrect API key provided: sk-abc123def456ghi789. You can find your API key at https://platform.openai.com/account/api-keys.", "Incorrect API key provided: sk-*** You can find your API key at https://platform.openai.com/account/api-keys.")]
    [InlineData("Incorrect API key provided: sk-proj-********************abcd.", "Incorrect API key provided: sk-proj-***")]
    [InlineData("Incorrect API key provided: sk-abc…xyz", "Incorrect API key provided: sk-***")]
    [InlineData("key sk-svcacct-AbCdEf123456, then", "key sk-svcacct-***, then")]
    [InlineData("key=AIzaSyD-abcdefghijklmnopqrstuvwxyz0123", "key=AIza***")]
    [InlineData("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-_ (rejected)", "sent Authorization: Bearer *** (rejected)")]
    [InlineData("token 0123456789abcdef0123456789abcdef0123 expired", "token 0123*** expired")]
    [InlineData("blob QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=.", "blob QUJD***.")]
    public void Redact_KeyShapedText_KeepsAPrefixAndMasksTheRest(string text, string expected)
    {
        SecretMasker.Redact(text).Should().Be(expected);
    }

    [Theory]
    [InlineData("This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.")]
    [InlineData("The model 'gemini-2.5-flash-preview-09-2025' does not exist")]
    [InlineData("Invalid value for 'temperature': expected a number between 0 and 2.")]
    [InlineData("The task-force met; sk is not a key.")]
    [InlineData("a long word without digits: abcdefghijklmnopqrstuvwxyzabcdefghijklmnop")]
    [InlineData("")]
    public void Redact_OrdinaryMessages_AreUnchanged(string text)
    {
        SecretMasker.Redact(text).Should().Be(text);
    }

    [Fact]
    public void Redact_LongMessage_IsCutToTheLimit()
    {
        var text = new string('a', 5000);

        SecretMasker.Redact(text, 100).Should().Be(new string('a', 100) + "…");
    }

    [Fact]
    public void Excerpt_ControlCharacters_AreEscapedSoTheyCannotForgeLogLines()
    {
        var body = Encoding.UTF8.GetBytes("line one\r\nINFO forged line\t\u001b[31mred\u0000");

        SecretMasker.Excerpt(body).Should().Be("line one\\r\\nINFO forged line\\t\\u001b[31mred\\u0000");
    }

    [Fact]
    public void Excerpt_LongBody_IsTruncatedAndMasked()
    {
        var body = Encoding.UTF8.GetBytes("key sk-proj-abcdef0123456789 " + new string('x', 2000));

        var excerpt = SecretMasker.Excerpt(body, 64);

        excerpt.Should().StartWith("key sk-proj-*** xxx").And.EndWith("…");
        excerpt.Length.Should().BeLessThan(70);
        excerpt.Should().NotContain("abcdef0123456789");
    }
}
