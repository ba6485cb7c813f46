using System.Text;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Json;

public class ModelRewriterTests
{
    // Odd spacing, unknown fields and escapes on both sides of the model: all of it must survive byte for byte.
    private const string Body = """
        {"x-unknown": {"a": [1, 2.50, "\u00e9"]} ,
           "model" :   "openai/gpt-4o"  ,
          "messages":[{"role":"user","content":"caf\u00e9 \"q\" 🙂"}],   "temperature": 1.0e0 }
        """;

    private const string OldToken = "\"openai/gpt-4o\"";

    private static (byte[] Body, int Start, int Length) Original()
    {
        var bytes = Encoding.UTF8.GetBytes(Body);
        var start = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(OldToken));
        return (bytes, start, Encoding.UTF8.GetByteCount(OldToken));
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("a-much-longer-model-name-than-the-one-it-replaces")]
    [InlineData("m")]
    public void Rewrite_NewModel_ReplacesOnlyTheModelToken(string newModel)
    {
        var (body, start, length) = Original();

        var result = ModelRewriter.Rewrite(body, start, length, newModel);

        var newToken = Encoding.UTF8.GetBytes($"\"{newModel}\"");
        var suffix = body.AsSpan(start + length);
        result.Length.Should().Be(body.Length - length + newToken.Length);
        result.AsSpan(0, start).SequenceEqual(body.AsSpan(0, start)).Should().BeTrue("the bytes before the model must not change");
        result.AsSpan(start, newToken.Length).SequenceEqual(newToken).Should().BeTrue("the model token must be the new model");
        result.AsSpan(result.Length - suffix.Length).SequenceEqual(suffix).Should().BeTrue("the bytes after the model must not change");
    }

    [Theory]
    [InlineData("quote\"inside")]
    [InlineData("back\\slash")]
    [InlineData("modèle-ü-日本")]
    [InlineData("emoji-🙂")]
    [InlineData("new\nline\ttab\u0001")]
    [InlineData("<html>&'")]
    public void Rewrite_ModelNeedingEscapes_ProducesJsonWithThatModel(string newModel)
    {
        var (body, start, length) = Original();

        var result = ModelRewriter.Rewrite(body, start, length, newModel);

        using var document = JsonDocument.Parse(result);
        document.RootElement.GetProperty("model").GetString().Should().Be(newModel);
        document.RootElement.GetProperty("messages")[0].GetProperty("content").GetString().Should().Be("café \"q\" 🙂");
        result.AsSpan(0, start).SequenceEqual(body.AsSpan(0, start)).Should().BeTrue();
        result.AsSpan().EndsWith(body.AsSpan(start + length)).Should().BeTrue();
    }

    [Fact]
    public void Rewrite_ModelFirstOrLastInObject_KeepsTheRestIntact()
    {
        var first = Encoding.UTF8.GetBytes("""{"model":"a","n":1}""");
        var last = Encoding.UTF8.GetBytes("""{"n":1,"model":"a"}""");

        var rewrittenFirst = ModelRewriter.Rewrite(first, 9, 3, "bb");
        var rewrittenLast = ModelRewriter.Rewrite(last, 15, 3, "bb");

        Encoding.UTF8.GetString(rewrittenFirst).Should().Be("""{"model":"bb","n":1}""");
        Encoding.UTF8.GetString(rewrittenLast).Should().Be("""{"n":1,"model":"bb"}""");
    }

    [Fact]
    public void Rewrite_WithTheSpanRequestPeekFound_RoundTripsThroughRequestPeek()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"openai/gpt\u002d4o","messages":[{"role":"user","content":"hi","model":"nested"}],"stream":true}""");
        var peek = RequestPeek.Read(body, GatewayOperation.ChatCompletions);

        var result = ModelRewriter.Rewrite(body, peek.ModelStart, peek.ModelLength, "gpt-4o \"mini\"");
        var again = RequestPeek.Read(result, GatewayOperation.ChatCompletions);

        again.Error.Should().BeNull();
        again.Model.Should().Be("gpt-4o \"mini\"");
        again.Stream.Should().BeTrue();
        using var document = JsonDocument.Parse(result);
        document.RootElement.GetProperty("messages")[0].GetProperty("model").GetString().Should().Be("nested");
    }

    [Fact]
    public void Rewrite_DoesNotChangeTheInput()
    {
        var (body, start, length) = Original();
        var copy = body.ToArray();

        _ = ModelRewriter.Rewrite(body, start, length, "other");

        body.Should().Equal(copy);
    }
}
