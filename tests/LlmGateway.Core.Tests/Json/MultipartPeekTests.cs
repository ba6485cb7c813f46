using System.Text;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Json;

public class MultipartPeekTests
{
    private const string Boundary = "b0undary";
    private const string ContentType = "multipart/form-data; boundary=" + Boundary;

    /// <summary>A multipart body of the parts given as (name, filename or null, content bytes).</summary>
    private static byte[] Body(params (string Name, string? FileName, byte[] Content)[] parts)
    {
        var body = new List<byte>();
        foreach (var (name, fileName, content) in parts)
        {
            var disposition = fileName is null ? $"form-data; name=\"{name}\"" : $"form-data; name=\"{name}\"; filename=\"{fileName}\"";
            body.AddRange(Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: {disposition}\r\n\r\n"));
            body.AddRange(content);
            body.AddRange("\r\n"u8.ToArray());
        }

        body.AddRange(Encoding.ASCII.GetBytes($"--{Boundary}--\r\n"));
        return [.. body];
    }

    private static (string, string?, byte[]) Text(string name, string value) => (name, null, Encoding.UTF8.GetBytes(value));

    private static (string, string?, byte[]) File(byte[]? content = null) => ("file", "a.wav", content ?? [0xFF, 0xFE, 0x00, 0xC3, 0x28]);

    private static RequestPeek Peek(byte[] body) => MultipartPeek.Read(body, ContentType);

    [Fact]
    public void Read_ModelAndFile_IsValid()
    {
        var peek = Peek(Body(Text("model", "whisper-1"), File(), Text("stream", "true")));

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("whisper-1");
        peek.Stream.Should().BeTrue();
    }

    [Fact]
    public void Read_FileBytesThatAreNotUtf8_AreNotChecked()
    {
        Peek(Body(Text("model", "whisper-1"), File([0xC3, 0x28, 0xED, 0xA0, 0x80]))).Error.Should().BeNull();
    }

    [Theory]
    [InlineData("model")]
    [InlineData("stream")]
    [InlineData("file")]
    public void Read_FieldSentTwice_ReturnsDuplicateParameterNamingIt(string field)
    {
        var parts = new List<(string, string?, byte[])> { Text("model", "whisper-1"), File(), Text("stream", "false") };
        parts.Add(field == "file" ? File() : Text(field, field == "model" ? "gpt-4o-transcribe" : "true"));

        var peek = Peek(Body([.. parts]));

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidRequest);
        peek.Error.Code.Should().Be("duplicate_parameter");
        peek.Error.Param.Should().Be(field);
    }

    [Theory]
    [InlineData("whisper-1\r\nINFO forged")]
    [InlineData("whisper\u00001")]
    [InlineData("\u001b[31mwhisper-1")]
    [InlineData("whisper-1\u2028")]
    public void Read_ControlCharacterInModel_ReturnsInvalidValueForModel(string model)
    {
        var peek = Peek(Body(Text("model", model), File()));

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidValue);
        peek.Error.Code.Should().Be("invalid_value");
        peek.Error.Param.Should().Be("model");
    }

    [Theory]
    [InlineData("model")]
    [InlineData("prompt")]
    public void Read_TextFieldThatIsNotUtf8_IsRefusedNamingIt(string field)
    {
        var invalid = (field, (string?)null, new byte[] { (byte)'a', 0xC3, 0x28 });
        var parts = field == "model" ? new[] { invalid, File() } : [Text("model", "whisper-1"), invalid, File()];

        var peek = Peek(Body(parts));

        peek.Error.Should().NotBeNull();
        peek.Error!.StatusCode.Should().Be(400);
        peek.Error.Param.Should().Be(field);
        peek.Error.Message.Should().Contain("UTF-8");
    }
}
