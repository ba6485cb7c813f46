using System.Buffers.Binary;
using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>OpenAI <c>/v1/embeddings</c> → Gemini <c>embedContent</c> / <c>batchEmbedContents</c> and back.</summary>
public sealed class EmbeddingTests : IDisposable
{
    private const string Model = "gemini-embedding-001";
    private static readonly string EmbedPath = $"/v1beta/models/{Model}:embedContent";
    private static readonly string BatchPath = $"/v1beta/models/{Model}:batchEmbedContents";

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_StringInputWithDimensions_CallsEmbedContentAndAnswersFloats()
    {
        _upstream.PostReturnsFile(EmbedPath, "embed-content.json");

        var response = await Embed("""{"model":"gemini-embedding-001","input":"The quick brown fox","dimensions":5}""");

        _upstream.SingleRequest(EmbedPath).Body.ShouldEqualJson("""
            {"content":{"parts":[{"text":"The quick brown fox"}]},"outputDimensionality":5}
            """);
        var body = response.Json();
        body.GetProperty("object").GetString().Should().Be("list");
        body.GetProperty("model").GetString().Should().Be(Model);
        body.GetProperty("data").ShouldEqualJson("""
            [{"object":"embedding","index":0,"embedding":[0.013168523,-0.008711934,-0.046782676,0.00069968984,-0.25]}]
            """);
        body.Path("usage", "prompt_tokens").GetInt32().Should().Be(body.Path("usage", "total_tokens").GetInt32());
    }

    [Fact]
    public async Task SendAsync_StringInputWithoutDimensions_SendsNoOutputDimensionality()
    {
        _upstream.PostReturnsFile(EmbedPath, "embed-content.json");

        var response = await Embed("""{"model":"gemini-embedding-001","input":"hello","encoding_format":"float"}""");

        _upstream.SingleRequest(EmbedPath).Body.PropertyNames().Should().Equal("content");
        response.Json().Path("data", 0, "embedding").GetArrayLength().Should().Be(5);
    }

    [Fact]
    public async Task SendAsync_ListInput_CallsBatchEmbedContentsWithOneRequestPerText()
    {
        _upstream.PostReturnsFile(BatchPath, "batch-embed-contents.json");

        var response = await Embed("""{"model":"gemini-embedding-001","input":["first text","second text"],"dimensions":3}""");

        _upstream.SingleRequest(BatchPath).Body.ShouldEqualJson("""
            {"requests":[
              {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first text"}]},"outputDimensionality":3},
              {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second text"}]},"outputDimensionality":3}]}
            """);
        response.Json().GetProperty("data").ShouldEqualJson("""
            [{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.30000001]},
             {"object":"embedding","index":1,"embedding":[-0.5,0.0625,1.5e-05]}]
            """);
    }

    [Fact]
    public async Task SendAsync_Base64EncodingFormat_AnswersLittleEndianFloat32()
    {
        _upstream.PostReturnsFile(BatchPath, "batch-embed-contents.json");

        var response = await Embed("""{"model":"gemini-embedding-001","input":["a","b"],"encoding_format":"base64"}""");

        _upstream.SingleRequest(BatchPath).Body.GetProperty("requests").GetArrayLength().Should().Be(2);
        var data = response.Json().GetProperty("data");
        var expected = Json.Parse(GeminiUpstream.TestData("batch-embed-contents.json")).GetProperty("embeddings");
        for (var i = 0; i < 2; i++)
        {
            data[i].GetProperty("embedding").ValueKind.Should().Be(JsonValueKind.String);
            var bytes = Convert.FromBase64String(data[i].GetProperty("embedding").GetString()!);
            bytes.Should().HaveCount(3 * sizeof(float));
            var decoded = Enumerable.Range(0, 3).Select(k => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(k * sizeof(float)))).ToArray();
            decoded.Should().Equal(expected[i].GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));
        }
    }

    [Theory]
    [InlineData("[1234,5678]")]
    [InlineData("[[1234,5678],[42]]")]
    public async Task SendAsync_TokenIdInput_Is400WithoutCallingGemini(string input)
    {
        var response = await Embed($$"""{"model":"gemini-embedding-001","input":{{input}}}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("input");
        response.Error.Message.Should().Contain("token ids");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_UnknownEncodingFormat_Is400()
    {
        var response = await Embed("""{"model":"gemini-embedding-001","input":"x","encoding_format":"int8"}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("encoding_format");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_EmbeddingErrorFromGemini_IsTranslated()
    {
        _upstream.PostReturnsFile(EmbedPath, "error-invalid-argument.json", 400);

        var response = await Embed("""{"model":"gemini-embedding-001","input":"x","dimensions":99999}""");

        _upstream.SingleRequest(EmbedPath).Body.GetProperty("outputDimensionality").GetInt32().Should().Be(99999);
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Code.Should().Be("invalid_argument");
    }

    [Theory]
    [InlineData("<html>proxy page</html>", "text/html")]
    [InlineData("""{"predictions":[]}""", "application/json")]
    public async Task SendAsync_AnswerThatIsNotAnEmbedding_Is502InvalidResponse(string body, string contentType)
    {
        _upstream.PostReturns(EmbedPath, body, contentType: contentType);

        var response = await Embed("""{"model":"gemini-embedding-001","input":"x"}""");

        _upstream.SingleRequest(EmbedPath).Body.Path("content", "parts", 0, "text").GetString().Should().Be("x");
        response.StatusCode.Should().Be(502);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamInvalidResponse);
        response.Error.Code.Should().Be("upstream_invalid_response");
    }

    private Task<GatewayResponse> Embed(string json) => _upstream.SendAsync(GatewayOperation.Embeddings, json, Model);
}
