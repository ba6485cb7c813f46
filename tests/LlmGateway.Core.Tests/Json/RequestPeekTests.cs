using System.Text;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Json;

public class RequestPeekTests
{
    private static RequestPeek Peek(string json, GatewayOperation operation = GatewayOperation.ChatCompletions) =>
        RequestPeek.Read(Encoding.UTF8.GetBytes(json), operation);

    /// <summary>A valid chat request for gpt-4o with <paramref name="members"/> added.</summary>
    private static string Chat(string members) => $$"""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],{{members}}}""";

    private static string ModelToken(string json, RequestPeek peek) =>
        Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(json), peek.ModelStart, peek.ModelLength);

    [Fact]
    public void Read_ValidChatRequest_ExtractsModelWithoutError()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("gpt-4o");
        peek.Stream.Should().BeFalse();
        peek.IncludeUsage.Should().BeFalse();
    }

    [Fact]
    public void Read_ValidEmbeddingsRequest_ExtractsModelWithoutError()
    {
        var peek = Peek("""{"input":["a","b"],"model":"text-embedding-3-small","dimensions":256}""", GatewayOperation.Embeddings);

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("text-embedding-3-small");
    }

    [Fact]
    public void Read_EmbeddingsRequestWithStringInput_IsValid()
    {
        var peek = Peek("""{"model":"text-embedding-3-small","input":"hello"}""", GatewayOperation.Embeddings);

        peek.Error.Should().BeNull();
    }

    [Fact]
    public void Read_StreamTrueWithIncludeUsage_SetsBothFlags()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}""");

        peek.Error.Should().BeNull();
        peek.Stream.Should().BeTrue();
        peek.IncludeUsage.Should().BeTrue();
    }

    [Theory]
    [InlineData("false")]
    [InlineData("null")]
    public void Read_StreamFalseOrNull_StreamIsFalse(string value)
    {
        var peek = Peek(Chat($"\"stream\":{value}"));

        peek.Error.Should().BeNull();
        peek.Stream.Should().BeFalse();
    }

    [Theory]
    [InlineData("""{"include_usage":false}""")]
    [InlineData("""{"include_usage":null}""")]
    [InlineData("""{"other":{"include_usage":true}}""")]
    [InlineData("null")]
    public void Read_IncludeUsageNotTrue_IncludeUsageIsFalse(string streamOptions)
    {
        var peek = Peek(Chat($"\"stream\":true,\"stream_options\":{streamOptions}"));

        peek.Error.Should().BeNull();
        peek.Stream.Should().BeTrue();
        peek.IncludeUsage.Should().BeFalse();
    }

    [Fact]
    public void Read_IncludeUsageAfterOtherStreamOption_IsRead()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"x":[1,{"y":2}],"include_usage":true}}""");

        peek.Error.Should().BeNull();
        peek.IncludeUsage.Should().BeTrue();
    }

    [Fact]
    public void Read_Model_StartAndLengthCoverTheQuotedStringToken()
    {
        var json = """{ "messages" : [{"role":"user","content":"hi"}],  "model" :   "gpt-4o"  , "n": 1 }""";

        var peek = Peek(json);

        peek.Error.Should().BeNull();
        peek.ModelStart.Should().Be(json.IndexOf("\"gpt-4o\"", StringComparison.Ordinal));
        peek.ModelLength.Should().Be("\"gpt-4o\"".Length);
        ModelToken(json, peek).Should().Be("\"gpt-4o\"");
    }

    [Fact]
    public void Read_ModelWithEscapedCharacters_UnescapesModelAndSpansTheRawToken()
    {
        var json = """{"model":"gpt\u002d4o","messages":[{"role":"user","content":"hi"}]}""";

        var peek = Peek(json);

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("gpt-4o");
        ModelToken(json, peek).Should().Be("\"gpt\\u002d4o\"");
        peek.ModelLength.Should().Be(13);
    }

    [Fact]
    public void Read_NonAsciiBeforeModel_ModelStartIsAByteOffset()
    {
        // "é" and "🙂" are 2 and 4 bytes in UTF-8 but 1 and 2 chars in UTF-16: a char offset would be off by 3.
        var json = """{"messages":[{"role":"user","content":"héllo 🙂"}],"model":"gpt-4o"}""";
        var bytes = Encoding.UTF8.GetBytes(json);

        var peek = RequestPeek.Read(bytes, GatewayOperation.ChatCompletions);

        peek.Error.Should().BeNull();
        peek.ModelStart.Should().Be(bytes.Length - "\"gpt-4o\"}".Length);
        Encoding.UTF8.GetString(bytes.AsSpan(peek.ModelStart, peek.ModelLength)).Should().Be("\"gpt-4o\"");
    }

    [Fact]
    public void Read_NonAsciiModel_LengthCountsBytes()
    {
        var json = """{"model":"modèle-ü","messages":[{"role":"user","content":"hi"}]}""";

        var peek = Peek(json);

        peek.Model.Should().Be("modèle-ü");
        peek.ModelLength.Should().Be(Encoding.UTF8.GetByteCount("\"modèle-ü\""));
        ModelToken(json, peek).Should().Be("\"modèle-ü\"");
    }

    [Fact]
    public void Read_NestedModelKeys_DoNotConfuseTheTopLevelModel()
    {
        var json = """
            {
              "messages": [{"role": "user", "content": "hi", "model": "in-message"}, {"role": "assistant", "content": [{"type": "text", "model": "in-part"}]}],
              "metadata": {"model": "in-metadata"},
              "extra": {"model": "in-unknown", "nested": [{"model": "deeper"}]},
              "model": "top-level",
              "stream_options": {"model": "in-stream-options"}
            }
            """;

        var peek = Peek(json);

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("top-level");
        ModelToken(json, peek).Should().Be("\"top-level\"");
    }

    [Fact]
    public void Read_OnlyNestedModelKeys_ReportsMissingModel()
    {
        var peek = Peek("""{"messages":[{"role":"user","content":"hi","model":"gpt-4o"}],"metadata":{"model":"gpt-4o"}}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.MissingParameter);
        peek.Error.Param.Should().Be("model");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("""{"model":""")]
    [InlineData("""{"model":"gpt-4o",}""")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user"}""")]
    [InlineData("""{'model':'gpt-4o'}""")]
    [InlineData("""{"model":"gpt-4o" /* comment */}""")]
    public void Read_NotJson_ReturnsInvalidJson(string body)
    {
        var peek = Peek(body);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidJson);
        peek.Error.StatusCode.Should().Be(400);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \r\n ")]
    public void Read_EmptyBody_ReturnsInvalidJson(string body)
    {
        var peek = Peek(body);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidJson);
    }

    [Theory]
    [InlineData("""[{"model":"gpt-4o"}]""")]
    [InlineData("42")]
    [InlineData("\"gpt-4o\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void Read_RootIsNotAnObject_ReturnsInvalidRequest(string body)
    {
        var peek = Peek(body);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidRequest);
    }

    [Theory]
    [InlineData(" {}")]
    [InlineData(" x")]
    [InlineData(" []")]
    [InlineData("}")]
    public void Read_ContentAfterTheObject_ReturnsInvalidJson(string trailing)
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""" + trailing);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidJson);
    }

    [Fact]
    public void Read_TrailingWhitespace_IsValid()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""" + " \r\n\t ");

        peek.Error.Should().BeNull();
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"","messages":[{"role":"user","content":"hi"}]}""")]
    public void Read_MissingOrEmptyModel_ReturnsMissingParameter(string body)
    {
        var peek = Peek(body);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.MissingParameter);
        peek.Error.Param.Should().Be("model");
    }

    [Fact]
    public void Read_ChatWithoutMessages_ReturnsMissingParameter()
    {
        var peek = Peek("""{"model":"gpt-4o","input":"hi"}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.MissingParameter);
        peek.Error.Param.Should().Be("messages");
    }

    [Fact]
    public void Read_EmbeddingsWithoutInput_ReturnsMissingParameter()
    {
        var peek = Peek("""{"model":"text-embedding-3-small","messages":[{"role":"user","content":"hi"}]}""", GatewayOperation.Embeddings);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.MissingParameter);
        peek.Error.Param.Should().Be("input");
    }

    [Fact]
    public void Read_EmbeddingsWithoutMessages_IsValid()
    {
        var peek = Peek("""{"model":"text-embedding-3-small","input":"hi"}""", GatewayOperation.Embeddings);

        peek.Error.Should().BeNull();
    }

    [Theory]
    [InlineData("""{"model":4,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":null,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":["gpt-4o"],"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":"true"}""", "stream")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":1}""", "stream")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream_options":true}""", "stream_options")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":"0.5"}""", "temperature")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"top_p":true}""", "top_p")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"presence_penalty":[]}""", "presence_penalty")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"frequency_penalty":{}}""", "frequency_penalty")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":"10"}""", "max_tokens")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":"10"}""", "max_completion_tokens")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":"2"}""", "n")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"seed":false}""", "seed")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"logprobs":"true"}""", "logprobs")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"parallel_tool_calls":0}""", "parallel_tool_calls")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"user":42}""", "user")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"reasoning_effort":{}}""", "reasoning_effort")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":{}}""", "tools")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"response_format":"json"}""", "response_format")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"logit_bias":[]}""", "logit_bias")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stop":5}""", "stop")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stop":{}}""", "stop")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tool_choice":5}""", "tool_choice")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tool_choice":[]}""", "tool_choice")]
    [InlineData("""{"model":"gpt-4o","messages":{"role":"user","content":"hi"}}""", "messages")]
    [InlineData("""{"model":"gpt-4o","messages":"hi"}""", "messages")]
    [InlineData("""{"model":"gpt-4o","messages":null}""", "messages")]
    [InlineData("""{"model":"gpt-4o","messages":["hi"]}""", "messages[0]")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"a"},[]]}""", "messages[1]")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"a"},{"role":5,"content":"b"}]}""", "messages[1].role")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":null,"content":"a"}]}""", "messages[0].role")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":{"text":"a"}}]}""", "messages[0].content")]
    public void Read_ParameterOfWrongType_ReturnsInvalidParameterTypeNamingTheField(string body, string param)
    {
        var peek = Peek(body);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be(param);
        peek.Error.Message.Should().Contain($"'{param}'");
        peek.Error.StatusCode.Should().Be(400);
    }

    [Theory]
    [InlineData("""{"model":"text-embedding-3-small","input":5}""")]
    [InlineData("""{"model":"text-embedding-3-small","input":{"text":"a"}}""")]
    [InlineData("""{"model":"text-embedding-3-small","input":null}""")]
    public void Read_EmbeddingsInputOfWrongType_ReturnsInvalidParameterType(string body)
    {
        var peek = Peek(body, GatewayOperation.Embeddings);

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be("input");
    }

    [Fact]
    public void Read_WrongTypeAfterMissingModel_ReportsTheTypeError()
    {
        // The type check happens during the pass; the missing model is only known at its end.
        var peek = Peek("""{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be("temperature");
    }

    [Fact]
    public void Read_MessageWithoutRole_ReturnsMissingParameterNamingTheMessage()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"system","content":"a"},{"content":"b","name":"x"}]}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.MissingParameter);
        peek.Error.Param.Should().Be("messages[1].role");
    }

    [Fact]
    public void Read_EmptyMessages_ReturnsInvalidRequest()
    {
        var peek = Peek("""{"model":"gpt-4o","messages":[]}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidRequest);
        peek.Error.Param.Should().Be("messages");
    }

    [Fact]
    public void Read_UnknownFieldsOfAnyShape_AreIgnored()
    {
        var json = """
            {
              "unknown_object": {"a": [1, {"b": null}], "temperature": "not checked here"},
              "unknown_array": [[], {}, "x", 1.5e10, true, null],
              "unknown_string": "s",
              "unknown_number": -1.25,
              "unknown_true": true,
              "unknown_false": false,
              "unknown_null": null,
              "model": "gpt-4o",
              "messages": [{"role": "user", "content": "hi", "unknown_in_message": {"role": 5}}],
              "after_model": {"deep": {"deeper": [{"deepest": []}]}}
            }
            """;

        var peek = Peek(json);

        peek.Error.Should().BeNull();
        peek.Model.Should().Be("gpt-4o");
    }

    [Fact]
    public void Read_NullForKnownOptionalParameters_IsAccepted()
    {
        var json = """
            {
              "model": "gpt-4o",
              "messages": [{"role": "assistant", "content": null, "tool_calls": null}],
              "stream": null, "stream_options": null, "temperature": null, "top_p": null, "presence_penalty": null,
              "frequency_penalty": null, "max_tokens": null, "max_completion_tokens": null, "n": null, "seed": null,
              "top_logprobs": null, "logprobs": null, "parallel_tool_calls": null, "store": null, "user": null,
              "reasoning_effort": null, "service_tier": null, "tools": null, "modalities": null,
              "response_format": null, "logit_bias": null, "metadata": null, "stop": null, "tool_choice": null
            }
            """;

        var peek = Peek(json);

        peek.Error.Should().BeNull();
        peek.Stream.Should().BeFalse();
    }

    [Fact]
    public void Read_KnownParametersOfTheRightTypes_AreAccepted()
    {
        var json = """
            {
              "model": "gpt-4o",
              "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi"}]}
              ],
              "temperature": 0.2, "top_p": 1, "presence_penalty": -0.5, "frequency_penalty": 0,
              "max_tokens": 100, "max_completion_tokens": 100, "n": 1, "seed": 7, "top_logprobs": 2,
              "logprobs": true, "parallel_tool_calls": false, "store": false, "user": "u1",
              "reasoning_effort": "low", "service_tier": "auto",
              "tools": [{"type": "function", "function": {"name": "f"}}], "modalities": ["text"],
              "response_format": {"type": "json_object"}, "logit_bias": {"50256": -100}, "metadata": {"k": "v"},
              "stop": ["\n"], "tool_choice": {"type": "function", "function": {"name": "f"}}
            }
            """;

        var peek = Peek(json);

        peek.Error.Should().BeNull();
    }

    [Theory]
    [InlineData("\"stop\":\"END\"")]
    [InlineData("\"stop\":[\"a\",\"b\"]")]
    [InlineData("\"tool_choice\":\"auto\"")]
    [InlineData("\"tool_choice\":{\"type\":\"function\"}")]
    public void Read_AlternativeShapesOfStopAndToolChoice_AreAccepted(string member)
    {
        var peek = Peek(Chat(member));

        peek.Error.Should().BeNull();
    }

    [Fact]
    public void Read_DecimalMaxTokens_ReturnsInvalidParameterType()
    {
        // max_tokens is checked as "an integer", but any JSON number passes: 1.5 reaches the upstream.
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":1.5}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be("max_tokens");
    }

    [Fact]
    public void Read_EscapedKnownParameterName_ParamIsTheUnescapedName()
    {
        // "temp\u0065rature" is the property "temperature": it is recognised, so the error must name it as such.
        var peek = Peek("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temp\u0065rature":"hot"}""");

        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be("temperature");
    }

    private static void ShouldFail(RequestPeek peek, GatewayErrorKind kind, string? param, string code)
    {
        peek.Error.Should().NotBeNull();
        peek.Error!.Kind.Should().Be(kind);
        peek.Error.StatusCode.Should().Be(400);
        peek.Error.Code.Should().Be(code);
        peek.Error.Param.Should().Be(param);
    }

    private static byte[] WithBytes(string json, params byte[] bytes)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var at = Array.IndexOf(body, (byte)'X');
        return [.. body[..at], .. bytes, .. body[(at + 1)..]];
    }

    [Fact]
    public void Read_InvalidUtf8InAString_ReturnsInvalidJson()
    {
        // 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte.
        var peek = RequestPeek.Read(WithBytes("""{"model":"gpt-4o","messages":[{"role":"user","content":"aXb"}]}""", 0xC3, 0x28), GatewayOperation.ChatCompletions);

        ShouldFail(peek, GatewayErrorKind.InvalidJson, null, "invalid_json");
        peek.Error!.Message.Should().Contain("UTF-8");
    }

    [Fact]
    public void Read_Utf8EncodedSurrogate_ReturnsInvalidJson()
    {
        // ED A0 80 is U+D800 encoded as if it were a character: not UTF-8.
        var peek = RequestPeek.Read(WithBytes("""{"model":"gpt-4o","messages":[{"role":"user","content":"X"}]}""", 0xED, 0xA0, 0x80), GatewayOperation.ChatCompletions);

        ShouldFail(peek, GatewayErrorKind.InvalidJson, null, "invalid_json");
    }

    [Theory]
    [InlineData(@"\ud800")]
    [InlineData(@"\udc00")]
    [InlineData(@"a\uD83Dz")]
    [InlineData(@"\ud800\ud800\udc00")]
    [InlineData(@"\udc00\ud800")]
    [InlineData(@"\\\ud800")]
    public void Read_LoneSurrogateEscape_ReturnsInvalidJson(string content)
    {
        var peek = Peek(Chat($"\"user\":\"{content}\""));

        ShouldFail(peek, GatewayErrorKind.InvalidJson, null, "invalid_json");
        peek.Error!.Message.Should().Contain("surrogate");
    }

    [Theory]
    [InlineData(@"\ud83d\ude00")]
    [InlineData(@"\uD83D\uDE00 and \u00e9")]
    [InlineData(@"\\ud800")]
    [InlineData(@"\\\\ud800")]
    public void Read_PairedSurrogatesAndEscapedBackslashes_AreAccepted(string content)
    {
        Peek(Chat($"\"user\":\"{content}\"")).Error.Should().BeNull();
    }

    /// <summary>A valid chat request whose deepest value is <paramref name="depth"/> objects deep, the body counting as one.</summary>
    private static string Nested(int depth) =>
        Chat("\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "1" + new string('}', depth - 1));

    [Fact]
    public void Read_Nesting64Deep_IsAccepted()
    {
        Peek(Nested(64)).Error.Should().BeNull();
    }

    [Fact]
    public void Read_Nesting65Deep_ReturnsInvalidJsonNamingTheLimit()
    {
        var peek = Peek(Nested(65));

        ShouldFail(peek, GatewayErrorKind.InvalidJson, null, "invalid_json");
        peek.Error!.Message.Should().Contain("deeper than 64");
    }

    [Fact]
    public void Read_BrokenJsonNearTheDepthLimit_IsNotCalledTooDeep()
    {
        var peek = Peek("{\"model\":\"gpt-4o\",\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", 62)) + "1,]");

        ShouldFail(peek, GatewayErrorKind.InvalidJson, null, "invalid_json");
        peek.Error!.Message.Should().NotContain("deeper");
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}""", "model")]
    [InlineData("""{"model":"gpt-4o","mod\u0065l":"other","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":false,"stream":true}""", "stream")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream_options":null,"stream_options":{}}""", "stream_options")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":false,"include_usage":true}}""", "stream_options.include_usage")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"fallbacks":["a"],"fallbacks":["b"]}""", "fallbacks")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"x"}]}""", "messages")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":1,"max_tokens":100000}""", "max_tokens")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":1,"max_completion_tokens":2}""", "max_completion_tokens")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":1,"n":2}""", "n")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":1,"temperature":3}""", "temperature")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":[],"tools":[]}""", "tools")]
    public void Read_MemberNamedTwice_ReturnsDuplicateParameterNamingIt(string body, string param)
    {
        var peek = Peek(body);

        ShouldFail(peek, GatewayErrorKind.InvalidRequest, param, "duplicate_parameter");
        peek.Error!.Message.Should().Contain($"'{param}'");
    }

    [Theory]
    [InlineData(GatewayOperation.Embeddings, """{"model":"m","input":"a","input":"b"}""", "input")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","input":[]}""", "input")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","max_output_tokens":5,"max_output_tokens":6}""", "max_output_tokens")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"m","input":"a","voice":"alloy","voice":"echo"}""", "voice")]
    public void Read_MemberNamedTwiceInOtherOperations_ReturnsDuplicateParameter(GatewayOperation operation, string body, string param)
    {
        ShouldFail(Peek(body, operation), GatewayErrorKind.InvalidRequest, param, "duplicate_parameter");
    }

    [Fact]
    public void Read_UnknownOrNestedMembersNamedTwice_AreLeftToTheUpstream()
    {
        Peek(Chat("\"x_custom\":1,\"x_custom\":2,\"metadata\":{\"k\":\"a\",\"k\":\"b\"}")).Error.Should().BeNull();
    }

    [Theory]
    [InlineData(@"gpt-4o\r\nINFO forged", "U+000D")]
    [InlineData(@"gpt-4o\n", "U+000A")]
    [InlineData(@"gpt\u0000-4o", "U+0000")]
    [InlineData(@"gpt\t4o", "U+0009")]
    [InlineData(@"\u001b[31mgpt-4o", "U+001B")]
    [InlineData(@"gpt-4o\u007f", "U+007F")]
    [InlineData(@"gpt-4o\u0085", "U+0085")]
    [InlineData(@"gpt-4o\u2028x", "U+2028")]
    [InlineData(@"gpt-4o\u2029x", "U+2029")]
    public void Read_ControlCharacterInModel_ReturnsInvalidValueForModel(string model, string described)
    {
        var peek = Peek($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");

        ShouldFail(peek, GatewayErrorKind.InvalidValue, "model", "invalid_value");
        peek.Error!.Message.Should().Contain(described);
    }

    [Fact]
    public void Read_ControlCharacterInAFallback_ReturnsInvalidValueNamingTheEntry()
    {
        var peek = Peek(Chat(@"""fallbacks"":[""gpt-4o-mini"",""x\r\ny""]"));

        ShouldFail(peek, GatewayErrorKind.InvalidValue, "fallbacks[1]", "invalid_value");
    }

    [Fact]
    public void Read_NonAsciiModelName_IsAccepted()
    {
        Peek("""{"model":"modèle-ü/日本","messages":[{"role":"user","content":"hi"}]}""").Error.Should().BeNull();
    }

    [Theory]
    [InlineData("n", "0", "1 to 128")]
    [InlineData("n", "129", "1 to 128")]
    [InlineData("n", "10000", "1 to 128")]
    [InlineData("max_tokens", "0", "1 to 2147483647")]
    [InlineData("max_tokens", "-1", "1 to 2147483647")]
    [InlineData("max_tokens", "2147483648", "1 to 2147483647")]
    [InlineData("max_tokens", "99999999999999999999999", "1 to 2147483647")]
    [InlineData("max_completion_tokens", "0", "1 to 2147483647")]
    [InlineData("max_completion_tokens", "2147483648", "1 to 2147483647")]
    [InlineData("temperature", "-0.01", "0 to 2")]
    [InlineData("temperature", "2.01", "0 to 2")]
    [InlineData("temperature", "1e400", "0 to 2")]
    [InlineData("top_p", "-1", "0 to 1")]
    [InlineData("top_p", "1.5", "0 to 1")]
    [InlineData("presence_penalty", "-2.5", "-2 to 2")]
    [InlineData("presence_penalty", "2.1", "-2 to 2")]
    [InlineData("frequency_penalty", "-3", "-2 to 2")]
    [InlineData("frequency_penalty", "2.5", "-2 to 2")]
    [InlineData("top_logprobs", "-1", "0 to 20")]
    [InlineData("top_logprobs", "21", "0 to 20")]
    [InlineData("seed", "9223372036854775808", "64-bit integer")]
    public void Read_NumberOutOfRange_ReturnsInvalidValueWithTheRange(string name, string value, string range)
    {
        var peek = Peek(Chat($"\"{name}\":{value}"));

        ShouldFail(peek, GatewayErrorKind.InvalidValue, name, "invalid_value");
        peek.Error!.Message.Should().Contain($"'{name}'").And.Contain(range);
    }

    [Theory]
    [InlineData("n", "1")]
    [InlineData("n", "128")]
    [InlineData("max_tokens", "1")]
    [InlineData("max_tokens", "2147483647")]
    [InlineData("max_completion_tokens", "2147483647")]
    [InlineData("temperature", "0")]
    [InlineData("temperature", "2")]
    [InlineData("temperature", "2.0")]
    [InlineData("top_p", "0")]
    [InlineData("top_p", "1")]
    [InlineData("presence_penalty", "-2")]
    [InlineData("presence_penalty", "2")]
    [InlineData("frequency_penalty", "-2.0")]
    [InlineData("frequency_penalty", "2")]
    [InlineData("top_logprobs", "0")]
    [InlineData("top_logprobs", "20")]
    [InlineData("seed", "-9223372036854775808")]
    [InlineData("seed", "9223372036854775807")]
    public void Read_NumberAtTheEdgeOfItsRange_IsAccepted(string name, string value)
    {
        Peek(Chat($"\"{name}\":{value}")).Error.Should().BeNull();
    }

    [Theory]
    [InlineData(GatewayOperation.Embeddings, """{"model":"m","input":"a","dimensions":0}""", "dimensions")]
    [InlineData(GatewayOperation.Embeddings, """{"model":"m","input":"a","dimensions":2147483648}""", "dimensions")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"m","input":"a","voice":"alloy","speed":0.24}""", "speed")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"m","input":"a","voice":"alloy","speed":4.01}""", "speed")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","max_output_tokens":0}""", "max_output_tokens")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","max_output_tokens":2147483648}""", "max_output_tokens")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","temperature":3}""", "temperature")]
    public void Read_NumberOutOfRangeInOtherOperations_ReturnsInvalidValue(GatewayOperation operation, string body, string param)
    {
        ShouldFail(Peek(body, operation), GatewayErrorKind.InvalidValue, param, "invalid_value");
    }

    [Theory]
    [InlineData(GatewayOperation.Embeddings, """{"model":"m","input":"a","dimensions":1}""")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"m","input":"a","voice":"alloy","speed":0.25}""")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"m","input":"a","voice":"alloy","speed":4.0}""")]
    [InlineData(GatewayOperation.Responses, """{"model":"m","input":"a","max_output_tokens":1}""")]
    public void Read_NumberAtTheEdgeInOtherOperations_IsAccepted(GatewayOperation operation, string body)
    {
        Peek(body, operation).Error.Should().BeNull();
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o"}""")]
    [InlineData("""{"model":"gpt-4o","input":null}""")]
    [InlineData("""{"model":"gpt-4o","instructions":"be brief","previous_response_id":null}""")]
    public void Read_ResponsesWithoutInput_ReturnsMissingParameter(string body)
    {
        ShouldFail(Peek(body, GatewayOperation.Responses), GatewayErrorKind.MissingParameter, "input", "missing_required_parameter");
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","input":"hi"}""")]
    [InlineData("""{"model":"gpt-4o","input":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"gpt-4o","previous_response_id":"resp_123"}""")]
    [InlineData("""{"model":"gpt-4o","conversation":"conv_123"}""")]
    [InlineData("""{"model":"gpt-4o","prompt":{"id":"pmpt_123"}}""")]
    public void Read_ResponsesWithInputOrStateKeptUpstream_IsAccepted(string body)
    {
        Peek(body, GatewayOperation.Responses).Error.Should().BeNull();
    }

    [Fact]
    public void Read_ResponsesInputOfWrongType_ReturnsInvalidParameterType()
    {
        ShouldFail(Peek("""{"model":"gpt-4o","input":5}""", GatewayOperation.Responses), GatewayErrorKind.InvalidParameterType, "input", "invalid_type");
    }

    [Theory]
    [InlineData("\"max_tokens\":100,\"max_completion_tokens\":200", 200)]
    [InlineData("\"max_completion_tokens\":200,\"max_tokens\":100", 200)]
    [InlineData("\"max_output_tokens\":300,\"max_tokens\":100", 100)]
    [InlineData("\"max_output_tokens\":300", 300)]
    [InlineData("\"max_completion_tokens\":null,\"max_tokens\":100", 100)]
    [InlineData("\"max_tokens\":2147483647", 2147483647)]
    [InlineData("\"metadata\":{\"max_tokens\":5},\"max_output_tokens\":7", 7)]
    public void Read_OutputBudget_FollowsPrecedence(string members, int expected)
    {
        var peek = Peek(Chat(members));

        peek.Error.Should().BeNull();
        peek.MaxOutputTokens.Should().Be(expected);
    }

    [Theory]
    [InlineData("\"user\":\"u\"")]
    [InlineData("\"max_tokens\":null")]
    public void Read_NoOutputBudget_IsNull(string member)
    {
        Peek(Chat(member)).MaxOutputTokens.Should().BeNull();
    }

    [Fact]
    public void Read_ResponsesRequestBuildingOnAnother_ReadsThePreviousResponseId()
    {
        var peek = Peek("""{"model":"gpt-4.1","input":"more","previous_response_id":"resp_1"}""", GatewayOperation.Responses);

        peek.Error.Should().BeNull();
        peek.PreviousResponseId.Should().Be("resp_1");
        Peek("""{"model":"gpt-4.1","input":"more","previous_response_id":null}""", GatewayOperation.Responses).PreviousResponseId.Should().BeNull();
    }

    [Fact]
    public void Read_PreviousResponseIdNotAString_IsA400NamingIt()
    {
        var peek = Peek("""{"model":"gpt-4.1","input":"more","previous_response_id":7}""", GatewayOperation.Responses);

        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be("previous_response_id");
    }

    [Theory]
    [InlineData(GatewayOperation.ChatCompletions)]
    [InlineData(GatewayOperation.Responses)]
    public void Read_CachedContent_IsRead(GatewayOperation operation)
    {
        var body = operation == GatewayOperation.ChatCompletions
            ? Chat("\"cached_content\":\"cachedContents/abc\"")
            : """{"model":"gemini-2.5-flash","input":"hi","cached_content":"cachedContents/abc"}""";

        var peek = Peek(body, operation);

        peek.Error.Should().BeNull();
        peek.CachedContent.Should().Be("cachedContents/abc");
    }

    [Theory]
    [InlineData("\"conv_1\"", "conv_1")]
    [InlineData("{\"id\":\"conv_1\"}", "conv_1")]
    [InlineData("null", null)]
    public void Read_Conversation_ReadsItsId(string value, string? id)
    {
        var peek = Peek($$"""{"model":"gpt-4.1","input":"hi","conversation":{{value}}}""", GatewayOperation.Responses);

        peek.Error.Should().BeNull();
        peek.Conversation.Should().Be(id);
    }

    [Theory]
    [InlineData("7", "conversation")]
    [InlineData("{\"id\":7}", "conversation.id")]
    public void Read_ConversationOfTheWrongType_IsA400NamingIt(string value, string param)
    {
        var peek = Peek($$"""{"model":"gpt-4.1","input":"hi","conversation":{{value}}}""", GatewayOperation.Responses);

        peek.Error!.Kind.Should().Be(GatewayErrorKind.InvalidParameterType);
        peek.Error.Param.Should().Be(param);
    }
}
