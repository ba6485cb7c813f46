using System.Text;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Json;

public sealed class IncludeUsageRewriteTests
{
    private static string Rewrite(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var peek = RequestPeek.Read(bytes, GatewayOperation.ChatCompletions);
        peek.Error.Should().BeNull();
        return Encoding.UTF8.GetString(ModelRewriter.WithIncludeUsage(bytes, peek.HasStreamOptions));
    }

    [Fact]
    public void ABodyWithoutStreamOptionsGetsThemInsertedAndEveryOtherByteKept()
    {
        const string body = """  { "model" : "m", "stream":true, "messages":[{"role":"user","content":"Hi"}], "x": {"y":[1, 2]} }""";

        var rewritten = Rewrite(body);

        rewritten.Should().Be("""  {"stream_options":{"include_usage":true}, "model" : "m", "stream":true, "messages":[{"role":"user","content":"Hi"}], "x": {"y":[1, 2]} }""");
        var peek = RequestPeek.Read(Encoding.UTF8.GetBytes(rewritten), GatewayOperation.ChatCompletions);
        peek.IncludeUsage.Should().BeTrue();
        peek.Model.Should().Be("m");
    }

    [Fact]
    public void ExistingStreamOptionsAreMergedAndIncludeUsageForcedTrue()
    {
        var rewritten = Rewrite("""{"model":"m","stream":true,"stream_options":{"include_usage":false,"include_obfuscation":false},"messages":[{"role":"user","content":"Hi"}]}""");

        using var document = JsonDocument.Parse(rewritten);
        var options = document.RootElement.GetProperty("stream_options");
        options.GetProperty("include_usage").GetBoolean().Should().BeTrue();
        options.GetProperty("include_obfuscation").GetBoolean().Should().BeFalse();
        document.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("model", "stream", "stream_options", "messages");
    }

    [Fact]
    public void NullStreamOptionsBecomeAnObject()
    {
        using var document = JsonDocument.Parse(Rewrite("""{"model":"m","stream":true,"stream_options":null,"messages":[{"role":"user","content":"Hi"}]}"""));

        document.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().Should().BeTrue();
    }
}
