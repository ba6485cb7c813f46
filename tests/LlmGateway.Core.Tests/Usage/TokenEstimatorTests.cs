using System.Text;
using LlmGateway.Internal;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Core.Tests.Usage;

public class TokenEstimatorTests
{
    private static readonly Tokenizer s_o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");

    private readonly TokenEstimator _sut = new();

    private static int Tokens(string text) => s_o200k.CountTokens(text);

    private int Estimate(string json, GatewayOperation operation = GatewayOperation.ChatCompletions) =>
        _sut.EstimatePromptTokens(Encoding.UTF8.GetBytes(json), operation);

    private static string Chat(string messages, string extra = "") =>
        $$"""{"model":"gpt-4o",{{extra}}"messages":[{{messages}}],"temperature":0.2}""";

    [Fact]
    public void Tokenizer_HelloWorld_IsTwoTokens()
    {
        // o200k_base has "hello" and " world" (leading space included) as single tokens.
        Tokens("hello world").Should().Be(2);
    }

    [Fact]
    public void EstimatePromptTokens_OneUserMessage_IsOverheadRoleTextAndPriming()
    {
        // 3 (message) + "user" (1 token) + "hello world" (2 tokens) + 3 (reply priming).
        Estimate(Chat("""{"role":"user","content":"hello world"}""")).Should().Be(9);
    }

    [Fact]
    public void EstimatePromptTokens_AnotherMessage_AddsItsTextAndThree()
    {
        const string First = """{"role":"system","content":"You are terse."}""";
        const string Second = """{"role":"user","content":"Summarise the plot of Hamlet in one sentence, please.","name":"alice"}""";

        var one = Estimate(Chat(First));
        var two = Estimate(Chat(First + "," + Second));

        two.Should().Be(one + 3 + Tokens("user") + Tokens("Summarise the plot of Hamlet in one sentence, please.") + Tokens("alice"));
    }

    [Fact]
    public void EstimatePromptTokens_ContentParts_CountTextAndAFixedCostPerImage()
    {
        var textOnly = Estimate(Chat("""{"role":"user","content":[{"type":"text","text":"What is in this picture?"}]}"""));
        var withImages = Estimate(Chat("""
            {"role":"user","content":[
              {"type":"text","text":"What is in this picture?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},
              {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZFZm10IBAAAAABAAEA","format":"wav"}}
            ]}
            """));

        textOnly.Should().Be(3 + Tokens("user") + Tokens("What is in this picture?") + 3);
        withImages.Should().Be(textOnly + (2 * TokenEstimator.ImageTokens));
    }

    [Fact]
    public void EstimatePromptTokens_ToolCallAndResult_CountNameArgumentsAndCallId()
    {
        const string Call = """
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function",
              "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}
            """;
        const string Result = """{"role":"tool","tool_call_id":"call_abc","content":"18 degrees and sunny"}""";

        var estimate = Estimate(Chat(Call + "," + Result));

        var call = 3 + Tokens("assistant") + Tokens("get_weather") + Tokens("{\"city\":\"Paris\"}");
        var result = 3 + Tokens("tool") + Tokens("call_abc") + Tokens("18 degrees and sunny");
        estimate.Should().Be(call + result + 3);
    }

    [Fact]
    public void EstimatePromptTokens_Tools_AddTheTokensOfTheirRawJson()
    {
        const string Tools = """[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";
        const string Message = """{"role":"user","content":"hello world"}""";

        var without = Estimate(Chat(Message));
        var with = Estimate(Chat(Message, $$"""  "tools": {{Tools}}, "tool_choice":"auto", """));

        with.Should().Be(without + Tokens(Tools));
    }

    [Fact]
    public void EstimatePromptTokens_EscapedText_CountsTheUnescapedText()
    {
        var escaped = Estimate(Chat("""{"role":"user","content":"caf\u00e9 \"quoted\"\nnew line"}"""));

        escaped.Should().Be(3 + Tokens("user") + Tokens("café \"quoted\"\nnew line") + 3);
    }

    [Fact]
    public void EstimatePromptTokens_LongText_CountsTheWholeText()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog, é and 🙂. ", 200));

        var estimate = Estimate(Chat($$"""{"role":"user","content":"{{text}}"}"""));

        estimate.Should().Be(3 + Tokens("user") + Tokens(text) + 3);
        Tokens(text).Should().BeGreaterThan(2000);
    }

    [Fact]
    public void EstimatePromptTokens_NoMessages_IsZero()
    {
        Estimate("""{"model":"gpt-4o","messages":[]}""").Should().Be(0);
    }

    [Fact]
    public void EstimatePromptTokens_EmbeddingsString_CountsIt()
    {
        Estimate("""{"model":"text-embedding-3-small","input":"hello world"}""", GatewayOperation.Embeddings).Should().Be(2);
    }

    [Fact]
    public void EstimatePromptTokens_EmbeddingsArrayOfThreeStrings_CountsEachText()
    {
        var estimate = Estimate("""{"input":["hello world","The food was delicious","and the waiter was kind"],"model":"m"}""", GatewayOperation.Embeddings);

        estimate.Should().Be(Tokens("hello world") + Tokens("The food was delicious") + Tokens("and the waiter was kind"));
    }

    [Theory]
    [InlineData("""{"input":[1212, 318, 257, 1332]}""", 4)]
    [InlineData("""{"input":[[1212, 318], [257], [1332, 1, 2]]}""", 6)]
    [InlineData("""{"input":[]}""", 0)]
    public void EstimatePromptTokens_EmbeddingsTokenIds_CountOnePerId(string body, int expected)
    {
        Estimate(body, GatewayOperation.Embeddings).Should().Be(expected);
    }

    [Fact]
    public void EstimatePromptTokens_ResponsesStringInput_CountsInstructionsAndInput()
    {
        var estimate = Estimate("""{"model":"gpt-4o","instructions":"Talk like a pirate.","input":"hello world"}""", GatewayOperation.Responses);

        estimate.Should().Be(Tokens("Talk like a pirate.") + 2);
    }

    [Fact]
    public void EstimatePromptTokens_ResponsesItems_CountTheirTextAndTools()
    {
        const string Tools = """[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]""";
        var body = $$"""
            {"model":"gpt-4o","tools":{{Tools}},"input":[
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in Paris?"},
                {"type":"input_image","image_url":"https://example.com/paris.jpg"}]},
              {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
              {"type":"function_call_output","call_id":"call_1","output":"18 degrees"}
            ]}
            """;

        var estimate = Estimate(body, GatewayOperation.Responses);

        estimate.Should().Be(Tokens(Tools) + Tokens("user") + Tokens("Weather in Paris?") + TokenEstimator.ImageTokens
            + Tokens("get_weather") + Tokens("{\"city\":\"Paris\"}") + Tokens("18 degrees"));
    }

    [Theory]
    [InlineData(GatewayOperation.AudioSpeech)]
    [InlineData(GatewayOperation.AudioTranscriptions)]
    [InlineData(GatewayOperation.ResponsesResource)]
    public void EstimatePromptTokens_OtherOperations_IsZero(GatewayOperation operation)
    {
        Estimate("""{"model":"tts-1","input":"hello world","messages":[{"role":"user","content":"hello world"}]}""", operation).Should().Be(0);
    }

    [Fact]
    public void EstimatePromptTokens_ChatIgnoresTheInputMember_AndEmbeddingsIgnoreMessages()
    {
        Estimate("""{"input":"hello world"}""").Should().Be(0);
        Estimate("""{"messages":[{"role":"user","content":"hello world"}]}""", GatewayOperation.Embeddings).Should().Be(0);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hello world"},{"role":"user","con""")]
    [InlineData("""{"messages":[{"role":"user","content":"hello world"}]""")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    public void EstimatePromptTokens_MalformedBody_IsZeroWithoutThrowing(string body)
    {
        Estimate(body).Should().Be(0);
    }
}
