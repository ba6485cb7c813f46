using System.Text;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Responses;

public class ResponsesToChatTranslatorTests
{
    [Theory]
    [InlineData("""{"model":"gemini-2.5-flash"}""")]
    [InlineData("""{"model":"gemini-2.5-flash","instructions":"be brief","input":[]}""")]
    [InlineData("""{"model":"gemini-2.5-flash","input":5}""")]
    public void Translate_NoInputToAnswer_IsRefusedNamingInput(string body)
    {
        var (chat, error) = ResponsesToChatTranslator.Translate(Encoding.UTF8.GetBytes(body));

        chat.Should().BeNull();
        error.Should().NotBeNull();
        error!.StatusCode.Should().Be(400);
        error.Param.Should().Be("input");
    }

    [Fact]
    public void Translate_StringInput_BecomesAUserMessage()
    {
        var (chat, error) = ResponsesToChatTranslator.Translate(Encoding.UTF8.GetBytes("""{"model":"gemini-2.5-flash","input":"hi"}"""));

        error.Should().BeNull();
        using var document = JsonDocument.Parse(chat);
        document.RootElement.GetProperty("messages")[0].GetProperty("content").GetString().Should().Be("hi");
    }
}
