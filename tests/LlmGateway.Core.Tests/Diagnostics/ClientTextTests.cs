using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Diagnostics;

public class ClientTextTests
{
    [Theory]
    [InlineData("gpt-4o\r\nINFO forged", @"gpt-4o\r\nINFO forged")]
    [InlineData("a\0b\tc", @"a\0b\tc")]
    [InlineData("\u001b[31mred", @"\u001B[31mred")]
    [InlineData("x\u007fy\u0085z", @"x\u007Fy\u0085z")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    public void ForLog_ControlCharacters_AreEscaped(string value, string expected)
    {
        var escaped = ClientText.ForLog(value);

        escaped.Should().Be(expected);
        ClientText.IndexOfControl(escaped).Should().Be(-1);
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("modèle/日本 \\n")]
    [InlineData("")]
    public void ForLog_TextWithoutControlCharacters_IsTheSameString(string value)
    {
        ClientText.ForLog(value).Should().BeSameAs(value);
    }

    [Fact]
    public void ForLog_Null_IsEmpty()
    {
        ClientText.ForLog(null).Should().BeEmpty();
    }
}
