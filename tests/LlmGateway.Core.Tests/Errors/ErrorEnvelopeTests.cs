using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Errors;

public class ErrorEnvelopeTests
{
    private static JsonDocument Parse(GatewayError error) => JsonDocument.Parse(ErrorEnvelope.ToBytes(error));

    [Fact]
    public void ToBytes_ErrorWithParam_WritesTheOpenAIEnvelope()
    {
        var error = new GatewayError(GatewayErrorKind.InvalidParameterType, "Invalid type for 'temperature': expected a number.", "temperature");

        using var document = Parse(error);

        var root = document.RootElement;
        root.EnumerateObject().Select(p => p.Name).Should().Equal("error");
        var body = root.GetProperty("error");
        body.EnumerateObject().Select(p => p.Name).Should().Equal("message", "type", "param", "code");
        body.GetProperty("message").GetString().Should().Be("Invalid type for 'temperature': expected a number.");
        body.GetProperty("type").GetString().Should().Be("invalid_request_error");
        body.GetProperty("param").GetString().Should().Be("temperature");
        body.GetProperty("code").GetString().Should().Be("invalid_type");
    }

    [Fact]
    public void ToBytes_ErrorWithoutParam_WritesParamAsNull()
    {
        using var document = Parse(new GatewayError(GatewayErrorKind.Internal, "Internal error."));

        var param = document.RootElement.GetProperty("error").GetProperty("param");
        param.ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void ToBytes_ErrorWithoutCode_WritesCodeAsNull()
    {
        using var document = Parse(new GatewayError(GatewayErrorKind.UpstreamError, "Upstream failed.") { Code = null });

        document.RootElement.GetProperty("error").GetProperty("code").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("quote \" backslash \\ newline \n tab \t")]
    [InlineData("unicode é 日本 🙂 and <html> & 'apostrophes'")]
    public void ToBytes_MessageWithSpecialCharacters_RoundTrips(string message)
    {
        using var document = Parse(new GatewayError(GatewayErrorKind.InvalidRequest, message));

        document.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Be(message);
    }

    [Fact]
    public void ToBytes_MessageQuotingAName_KeepsTheQuotesReadable()
    {
        var bytes = ErrorEnvelope.ToBytes(new GatewayError(GatewayErrorKind.MissingParameter, "You must provide a 'model' parameter.", "model"));

        Encoding.UTF8.GetString(bytes).Should().Contain("You must provide a 'model' parameter.");
    }

    [Fact]
    public void ToBytes_UpstreamBody_IsNeverWrittenTheEnvelopeIsRebuilt()
    {
        var upstream = Encoding.UTF8.GetBytes("{ \"error\" : {\"message\":\"internal host lb-7\",\"type\":\"requests\",\"extra\":[1, 2]} }\n");
        var error = new GatewayError(GatewayErrorKind.UpstreamError, "Rate limit reached.", "messages") { UpstreamBody = upstream, Type = "requests", Code = "rate_limit_exceeded" };

        var bytes = ErrorEnvelope.ToBytes(error);

        Encoding.UTF8.GetString(bytes).Should().Be("""{"error":{"message":"Rate limit reached.","type":"requests","param":"messages","code":"rate_limit_exceeded"}}""");
    }

    [Fact]
    public void Write_ToABufferWithContent_Appends()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("data: "u8);

        ErrorEnvelope.Write(new GatewayError(GatewayErrorKind.Internal, "Internal error."), buffer);

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        text.Should().StartWith("data: {\"error\":");
        using var document = JsonDocument.Parse(buffer.WrittenMemory[6..]);
        document.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("internal_error");
    }
}
