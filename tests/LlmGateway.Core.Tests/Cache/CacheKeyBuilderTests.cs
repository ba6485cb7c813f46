using System.Security.Cryptography;
using System.Text;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Cache;

public class CacheKeyBuilderTests
{
    private const string Model = "gpt-4o";

    private static string Hash(string body, bool normalize = false, string model = Model, GatewayOperation operation = GatewayOperation.ChatCompletions) =>
        CacheKeyBuilder.Hash(Encoding.UTF8.GetBytes(body), operation, model, normalize);

    private static string Embeddings(string body, bool normalize = false) =>
        Hash(body, normalize, "text-embedding-3-small", GatewayOperation.Embeddings);

    private static (string ContextHash, string? LastUserText) Semantic(string body, string model = Model) =>
        CacheKeyBuilder.SemanticParts(Encoding.UTF8.GetBytes(body), model);

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Sha256Hex(byte[] prefix, byte[] body) => Convert.ToHexStringLower(SHA256.HashData([.. prefix, .. body]));

    private static string Chat(string content, string extra = "") =>
        $$"""{"model":"alias","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":{{content}}}]{{extra}}}""";

    [Fact]
    public void Hash_SmallBody_IsTheSha256OfTheDocumentedCanonicalForm()
    {
        const string Body = """
            { "temperature": 0.50, "stream": true, "model": "alias",
              "messages": [ { "role": "user", "content": "Caf\u00e9 <b> \"q\"\n", "name": "\u0041" } ],
              "n": 1e1, "logit_bias": { "b": -1.0, "a": 100 }, "seed": 0.0, "stop": null, "logprobs": false }
            """;

        // Built by hand from the format in CacheKeyBuilder's remarks: the version and operation, then the JSON with keys
        // sorted, model resolved, stream left out, numbers as digits and a power of ten, strings re-escaped (ASCII only).
        const string Canonical = "v1\nchat.completions\n"
            + """{"logit_bias":{"a":1e2,"b":-1},"logprobs":false,"messages":[{"content":"Caf\u00E9 \u003Cb\u003E \u0022q\u0022\n","name":"A","role":"user"}],"model":"gpt-4o","n":1e1,"seed":0,"stop":null,"temperature":5e-1}""";

        Hash(Body).Should().Be(Sha256Hex(Canonical));
    }

    [Fact]
    public void Hash_NotAnObject_IsTheSha256OfTheRawBytesAfterThePrefix()
    {
        var body = Encoding.UTF8.GetBytes("[1, 2]");

        var hash = CacheKeyBuilder.Hash(body, GatewayOperation.Embeddings, Model, normalize: false);

        hash.Should().Be(Sha256Hex(Encoding.UTF8.GetBytes("v1\nembeddings\nraw\n"), body));
    }

    [Fact]
    public void Hash_KeysReorderedAtEveryDepth_SameHash()
    {
        const string A = """
            {"model":"m","temperature":0.2,"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"u","detail":"low"}}]}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"string"},"a":{"type":"number"}}}}}]}
            """;
        const string B = """
            {"tools":[{"function":{"parameters":{"properties":{"a":{"type":"number"},"x":{"type":"string"}},"type":"object"},"name":"f"},"type":"function"}],
             "messages":[{"content":[{"text":"hi","type":"text"},{"image_url":{"detail":"low","url":"u"},"type":"image_url"}],"role":"user"}],"temperature":0.2,"model":"m"}
            """;

        Hash(A).Should().Be(Hash(B));
    }

    [Fact]
    public void Hash_ArrayOrder_Matters()
    {
        Hash("""{"stop":["a","b"]}""").Should().NotBe(Hash("""{"stop":["b","a"]}"""));
    }

    [Fact]
    public void Hash_InsignificantWhitespace_SameHash()
    {
        const string Compact = """{"model":"m","messages":[{"role":"user","content":"a  b"}],"max_tokens":5}""";
        const string Spaced = "{ \r\n\t\"model\" : \"m\" ,\n \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"a  b\" } ] ,\t\"max_tokens\" :5 }\n";

        Hash(Spaced).Should().Be(Hash(Compact));
    }

    [Theory]
    [InlineData(@"""\u0041""", @"""A""")]
    [InlineData(@"""caf\u00e9""", @"""café""")]
    [InlineData(@"""caf\u00E9""", @"""café""")]
    [InlineData(@"""a\/b""", @"""a/b""")]
    [InlineData(@"""\ud83d\ude42""", @"""🙂""")]
    [InlineData(@"""tab\there""", "\"tab\\u0009here\"")]
    public void Hash_EscapedAndUnescapedStrings_SameHash(string escaped, string plain)
    {
        Hash(Chat(escaped)).Should().Be(Hash(Chat(plain)));
        Hash($$"""{"x":{{escaped}}}""").Should().Be(Hash($$"""{"x":{{plain}}}"""));
    }

    [Fact]
    public void Hash_EscapedPropertyNames_SameHashAndSameOrder()
    {
        const string Escaped = """{"\u0074emperature":0,"\u007a":1,"\u00e9":2,"b":{"\u0061":1,"c":2}}""";
        const string Plain = """{"temperature":0,"z":1,"é":2,"b":{"c":2,"a":1}}""";

        Hash(Escaped).Should().Be(Hash(Plain));
    }

    [Fact]
    public void Hash_EscapedNamesOfLeftOutFields_AreLeftOut()
    {
        Hash("""{"\u0073tream":true,"\u006dodel":"other","temperature":1}""").Should().Be(Hash("""{"temperature":1}"""));
    }

    [Theory]
    [InlineData("1", "1.0")]
    [InlineData("1", "1e0")]
    [InlineData("1", "10e-1")]
    [InlineData("1", "1E+0")]
    [InlineData("1", "0.1e1")]
    [InlineData("100", "1e2")]
    [InlineData("100", "100.000")]
    [InlineData("0", "-0")]
    [InlineData("0", "0.0e5")]
    [InlineData("-2.5", "-25e-1")]
    [InlineData("0.001", "1e-3")]
    [InlineData("1e400", "10e399")]
    public void Hash_NumbersOfEqualValue_SameHash(string a, string b)
    {
        Hash($$"""{"temperature":{{a}},"x":[{{a}}]}""").Should().Be(Hash($$"""{"temperature":{{b}},"x":[{{b}}]}"""));
    }

    [Theory]
    [InlineData("1", "1.0000000000000000000000000000001")]
    [InlineData("12345678901234567890123456789012", "12345678901234567890123456789013")]
    [InlineData("1e400", "1e401")]
    [InlineData("0.1", "0.01")]
    [InlineData("1", "-1")]
    [InlineData("10", "1")]
    public void Hash_NumbersOfDifferentValue_DifferentHash(string a, string b)
    {
        Hash($$"""{"seed":{{a}}}""").Should().NotBe(Hash($$"""{"seed":{{b}}}"""));
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("10e-1", "1")]
    [InlineData("100", "1e2")]
    [InlineData("0.5", "5e-1")]
    [InlineData("-1.25", "-125e-2")]
    [InlineData("-0.0", "0")]
    [InlineData("0", "0")]
    [InlineData("1E+2", "1e2")]
    [InlineData("0.00100", "1e-3")]
    [InlineData("120e-1", "12")]
    [InlineData("-7e-0", "-7")]
    [InlineData("1e000000000000000000001", "1e1")]
    [InlineData("123.456e3", "123456")]
    public void CanonicalNumber_Number_WritesDigitsAndPowerOfTen(string number, string expected)
    {
        var destination = new byte[number.Length + 20];

        var length = CacheKeyBuilder.CanonicalNumber(Encoding.UTF8.GetBytes(number), destination);

        Encoding.UTF8.GetString(destination, 0, length).Should().Be(expected);
    }

    [Fact]
    public void CanonicalNumber_ExponentTooLong_IsRefused()
    {
        var number = Encoding.UTF8.GetBytes("1e1234567890123456");

        CacheKeyBuilder.CanonicalNumber(number, new byte[number.Length + 20]).Should().Be(-1);
    }

    [Fact]
    public void Hash_DifferentTemperature_DifferentHash()
    {
        Hash(Chat("\"hi\"", ",\"temperature\":0")).Should().NotBe(Hash(Chat("\"hi\"", ",\"temperature\":0.7")));
    }

    [Fact]
    public void Hash_DifferentMessageText_DifferentHash()
    {
        Hash(Chat("\"hello\"")).Should().NotBe(Hash(Chat("\"hello!\"")));
    }

    [Theory]
    [InlineData(""","stream":true""")]
    [InlineData(""","stream":false,"stream_options":{"include_usage":true}""")]
    [InlineData(",\"user\":\"alice@example.com\"")]
    [InlineData(""","metadata":{"team":"a"}""")]
    [InlineData(""","fallbacks":["gpt-4o-mini","gemini"]""")]
    public void Hash_FieldThatDoesNotChangeTheAnswer_IsLeftOut(string extra)
    {
        Hash(Chat("\"hi\"", extra)).Should().Be(Hash(Chat("\"hi\"")));
    }

    [Fact]
    public void Hash_LeftOutNamesBelowTheTopLevel_AreKept()
    {
        Hash("""{"response_format":{"json_schema":{"user":1}}}""").Should().NotBe(Hash("""{"response_format":{"json_schema":{}}}"""));
    }

    [Theory]
    [InlineData(""","x-unknown-option":1""")]
    [InlineData(""","store":true""")]
    [InlineData(",\"service_tier\":\"flex\"")]
    [InlineData(""","seed":0""")]
    public void Hash_OtherField_ChangesHash(string extra)
    {
        Hash(Chat("\"hi\"", extra)).Should().NotBe(Hash(Chat("\"hi\"")));
    }

    [Fact]
    public void Hash_DifferentResolvedModel_DifferentHash()
    {
        Hash(Chat("\"hi\""), model: "gpt-4o").Should().NotBe(Hash(Chat("\"hi\""), model: "gpt-4o-mini"));
    }

    [Fact]
    public void Hash_DifferentModelInBodySameResolvedModel_SameHash()
    {
        Hash("""{"model":"alias-a","temperature":1}""").Should().Be(Hash("""{"model":"alias-b","temperature":1}"""));
        Hash("""{"temperature":1}""").Should().Be(Hash("""{"model":"alias-b","temperature":1}"""));
    }

    [Fact]
    public void Hash_ChatAndEmbeddingsWithEqualBodies_DifferentHash()
    {
        const string Body = """{"model":"m","input":"hello"}""";

        Hash(Body, model: "m").Should().NotBe(Hash(Body, model: "m", operation: GatewayOperation.Embeddings));
    }

    [Fact]
    public void Hash_DuplicateNames_KeepTheirOrder()
    {
        Hash("""{"a":1,"a":2}""").Should().NotBe(Hash("""{"a":2,"a":1}"""));
    }

    [Fact]
    public void Hash_Normalize_FoldsWhitespaceAndCaseOfStringContent()
    {
        var messy = Chat("\"  Hello,\\t\\n  WORLD\\u00a0 Ünïcode  \"");
        var tidy = Chat("\"hello, world ünïcode\"");

        Hash(messy, normalize: true).Should().Be(Hash(tidy, normalize: true));
        Hash(messy).Should().NotBe(Hash(tidy));
    }

    [Fact]
    public void Hash_Normalize_FoldsTextPartsOnly()
    {
        var messy = Chat("""[{"type":"text","text":" What IS\n this? "},{"type":"image_url","image_url":{"url":"https://x/A.png"}}]""");
        var tidy = Chat("""[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://x/A.png"}}]""");
        var otherUrlCase = Chat("""[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://x/a.png"}}]""");

        Hash(messy, normalize: true).Should().Be(Hash(tidy, normalize: true));
        Hash(otherUrlCase, normalize: true).Should().NotBe(Hash(tidy, normalize: true), "a URL is not message text");
    }

    [Fact]
    public void Hash_Normalize_LeavesOtherStringsAlone()
    {
        const string Tool = ""","tools":[{"type":"function","function":{"name":"Get_Weather","description":"Gets  the weather"}}]""";
        const string OtherTool = ""","tools":[{"type":"function","function":{"name":"get_weather","description":"gets the weather"}}]""";

        Hash(Chat("\"hi\"", Tool), normalize: true).Should().NotBe(Hash(Chat("\"hi\"", OtherTool), normalize: true));
        Hash("""{"messages":[{"role":"User","content":"hi"}]}""", normalize: true)
            .Should().NotBe(Hash("""{"messages":[{"role":"user","content":"hi"}]}""", normalize: true), "a role is not message text");
        Hash("""{"messages":[{"role":"user","content":[{"type":"other","text":"A"}]}]}""", normalize: true)
            .Should().NotBe(Hash("""{"messages":[{"role":"user","content":[{"type":"other","text":"a"}]}]}""", normalize: true), "only text parts are text");
    }

    [Fact]
    public void Hash_NormalizeEmbeddings_FoldsInputStringsOnly()
    {
        Embeddings("""{"input":"  The  CAT "}""", normalize: true).Should().Be(Embeddings("""{"input":"the cat"}""", normalize: true));
        Embeddings("""{"input":["A  b",[1,2],"C"]}""", normalize: true).Should().Be(Embeddings("""{"input":["a b",[1,2],"c"]}""", normalize: true));
        Embeddings("""{"input":"x","dimensions":256,"encoding_format":"Float"}""", normalize: true)
            .Should().NotBe(Embeddings("""{"input":"x","dimensions":256,"encoding_format":"float"}""", normalize: true));
        Embeddings("""{"input":"The cat"}""").Should().NotBe(Embeddings("""{"input":"the cat"}"""));
    }

    [Fact]
    public void Hash_NormalizeChat_DoesNotTouchATopLevelInput()
    {
        Hash("""{"input":"A"}""", normalize: true).Should().NotBe(Hash("""{"input":"a"}""", normalize: true));
    }

    [Fact]
    public void SemanticParts_SameContextDifferentLastUserText_SameContextHashAndTheText()
    {
        var first = Semantic(Chat("\"What is the capital of France?\""));
        var second = Semantic(Chat("\"Which city is France's capital?\""));

        first.ContextHash.Should().Be(second.ContextHash);
        first.LastUserText.Should().Be("What is the capital of France?");
        second.LastUserText.Should().Be("Which city is France's capital?");
    }

    [Fact]
    public void SemanticParts_DifferentEarlierMessage_DifferentContextHash()
    {
        const string A = """{"messages":[{"role":"user","content":"one"},{"role":"assistant","content":"ok"},{"role":"user","content":"q"}]}""";
        const string B = """{"messages":[{"role":"user","content":"two"},{"role":"assistant","content":"ok"},{"role":"user","content":"q"}]}""";

        Semantic(A).ContextHash.Should().NotBe(Semantic(B).ContextHash);
    }

    [Fact]
    public void SemanticParts_OtherFieldsOfTheLastUserMessage_StillCount()
    {
        const string A = """{"messages":[{"role":"user","name":"alice","content":"q"}]}""";
        const string B = """{"messages":[{"role":"user","name":"bob","content":"q"}]}""";

        Semantic(A).ContextHash.Should().NotBe(Semantic(B).ContextHash);
    }

    [Fact]
    public void SemanticParts_ParametersAndModel_StillCount()
    {
        Semantic(Chat("\"q\"", ",\"temperature\":0")).ContextHash.Should().NotBe(Semantic(Chat("\"q\"", ",\"temperature\":1")).ContextHash);
        Semantic(Chat("\"q\""), "a").ContextHash.Should().NotBe(Semantic(Chat("\"q\""), "b").ContextHash);
        Semantic(Chat("\"q\"", ",\"stream\":true")).ContextHash.Should().Be(Semantic(Chat("\"q\"")).ContextHash);
    }

    [Fact]
    public void SemanticParts_LastUserMessageBeforeAnAssistantOne_IsTheOneLeftOutInPlace()
    {
        const string A = """{"messages":[{"role":"user","content":"first"},{"role":"user","content":"a"},{"role":"assistant","content":"x"}]}""";
        const string B = """{"messages":[{"role":"user","content":"first"},{"role":"user","content":"b"},{"role":"assistant","content":"x"}]}""";
        const string Moved = """{"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"x"},{"role":"user","content":"a"}]}""";

        Semantic(A).ContextHash.Should().Be(Semantic(B).ContextHash);
        Semantic(A).LastUserText.Should().Be("a");
        Semantic(A).ContextHash.Should().NotBe(Semantic(Moved).ContextHash, "the message keeps its position");
    }

    [Fact]
    public void SemanticParts_TextParts_AreJoinedWithNewlines()
    {
        var parts = Semantic(Chat("""[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"what is it?"}]"""));

        parts.LastUserText.Should().Be("Look:\nwhat is it?");
    }

    [Fact]
    public void SemanticParts_ImagePartsOfTheLastUserMessage_AreLeftOutWithItsText()
    {
        var a = Semantic(Chat("""[{"type":"text","text":"q"},{"type":"image_url","image_url":{"url":"a"}}]"""));
        var b = Semantic(Chat("""[{"type":"text","text":"q"},{"type":"image_url","image_url":{"url":"b"}}]"""));

        a.ContextHash.Should().Be(b.ContextHash);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"system","content":"s"}]}""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"temperature":0}""")]
    [InlineData("""{"messages":[{"role":"user","content":""}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":null}]}""")]
    [InlineData("""{"messages":[{"role":"user"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]}""")]
    [InlineData("""{"messages":"user"}""")]
    public void SemanticParts_NoUserText_TextIsNull(string body)
    {
        var parts = Semantic(body);

        parts.LastUserText.Should().BeNull();
        parts.ContextHash.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void SemanticParts_ContextHash_DiffersFromTheExactHashOfTheSameBodyWithoutTheText()
    {
        const string WithoutText = """{"messages":[{"role":"user"}]}""";

        Semantic(WithoutText).ContextHash.Should().NotBe(Hash(WithoutText));
    }

    [Theory]
    [InlineData("""{"temperature":0}""", true)]
    [InlineData("""{"model":"m","temperature":0.0,"messages":[]}""", true)]
    [InlineData("""{"temperature":-0}""", true)]
    [InlineData("""{"temperature":0e3}""", true)]
    [InlineData("""{"temperature":0.0001}""", false)]
    [InlineData("""{"temperature":0.7}""", false)]
    [InlineData("""{"temperature":1e-9}""", false)]
    [InlineData("""{"model":"m"}""", false)]
    [InlineData("""{"temperature":"0"}""", false)]
    [InlineData("""{"temperature":null}""", false)]
    [InlineData("""{"x":{"temperature":0}}""", false)]
    [InlineData("""{"x":{"temperature":1},"temperature":0}""", true)]
    [InlineData("""[{"temperature":0}]""", false)]
    [InlineData("""{"temperature":0""", false)]
    [InlineData("", false)]
    public void IsDeterministic_Body_TrueOnlyForATopLevelZeroTemperature(string body, bool expected)
    {
        CacheKeyBuilder.IsDeterministic(Encoding.UTF8.GetBytes(body)).Should().Be(expected);
    }

    public static TheoryData<byte[]> MalformedBodies()
    {
        var data = new TheoryData<byte[]>
        {
            Array.Empty<byte>(),
            Encoding.UTF8.GetBytes("not json"),
            Encoding.UTF8.GetBytes("\"a string\""),
            Encoding.UTF8.GetBytes("null"),
            Encoding.UTF8.GetBytes("42"),
            Encoding.UTF8.GetBytes("{"),
            Encoding.UTF8.GetBytes("""{"a":}"""),
            Encoding.UTF8.GetBytes("""{"a":1} trailing"""),
            Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"\ud800"}]}"""),
            Encoding.UTF8.GetBytes("""{"\udc00":1,"b":2}"""),
            new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}' },
            new byte[] { (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}' },
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 300)) + "1" + new string('}', 300)),
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("[", 300)) + new string(']', 300)),
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void AllMethods_MalformedBody_DoNotThrowAndGiveAStableHash(byte[] body)
    {
        var chat = CacheKeyBuilder.Hash(body, GatewayOperation.ChatCompletions, Model, normalize: true);
        var again = CacheKeyBuilder.Hash(body, GatewayOperation.ChatCompletions, Model, normalize: true);
        var embeddings = CacheKeyBuilder.Hash(body, GatewayOperation.Embeddings, Model, normalize: false);
        var semantic = CacheKeyBuilder.SemanticParts(body, Model);
        var deterministic = CacheKeyBuilder.IsDeterministic(body);

        chat.Should().MatchRegex("^[0-9a-f]{64}$").And.Be(again);
        embeddings.Should().MatchRegex("^[0-9a-f]{64}$").And.NotBe(chat);
        semantic.ContextHash.Should().MatchRegex("^[0-9a-f]{64}$");
        deterministic.Should().BeFalse();
    }

    [Fact]
    public void Hash_LargeBody_IsStableAndSensitiveToItsLastByte()
    {
        var text = new string('x', 200_000);
        var a = Chat($"\"{text}a\"");
        var b = Chat($"\"{text}b\"");

        Hash(a).Should().Be(Hash(a)).And.NotBe(Hash(b));
        Hash(a, normalize: true).Should().Be(Hash(Chat($"\"{text.ToUpperInvariant()}A\""), normalize: true));
    }
}
