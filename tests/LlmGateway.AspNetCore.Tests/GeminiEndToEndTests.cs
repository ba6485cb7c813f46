using System.ClientModel;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using OpenAI;
using OpenAI.Audio;
using OpenAI.Chat;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The official OpenAI .NET SDK against the thin host with a Gemini instance behind it (a WireMock upstream answering
/// in Gemini's documented shapes): chat, streaming, a multi-turn tool conversation with thought signatures, structured
/// output, images, embeddings and speech.
/// </summary>
public sealed class GeminiEndToEndTests : IDisposable
{
    private const string Key = "test-gemini-key";
    private readonly WireMockServer _gemini = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly OpenAIClient _sdk;
    private readonly Uri _address;

    public GeminiEndToEndTests()
    {
        _host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:gemini:BaseUrl"] = _gemini.Urls[0] + "/v1beta",
            ["LlmGateway:Providers:gemini:ApiKey"] = Key,
        });
        _address = _host.StartKestrel();
        _sdk = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_address, "/v1") });
    }

    public void Dispose()
    {
        _host.Dispose();
        _gemini.Dispose();
    }

    [Fact]
    public async Task ChatCompletion()
    {
        Given("gemini-2.5-flash:generateContent", """
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Hello from Gemini"}]},"finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":4,"thoughtsTokenCount":10,"cachedContentTokenCount":2,"totalTokenCount":21},
             "modelVersion":"gemini-2.5-flash","responseId":"resp-1"}
            """);

        ChatCompletion completion = await _sdk.GetChatClient("gemini-2.5-flash").CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Hi")],
            new ChatCompletionOptions { Temperature = 0.5f, MaxOutputTokenCount = 100 });

        completion.Content.Single().Text.Should().Be("Hello from Gemini");
        completion.FinishReason.Should().Be(ChatFinishReason.Stop);
        completion.Usage.InputTokenCount.Should().Be(7);
        completion.Usage.OutputTokenCount.Should().Be(14);
        completion.Usage.OutputTokenDetails.ReasoningTokenCount.Should().Be(10);
        completion.Usage.InputTokenDetails.CachedTokenCount.Should().Be(2);

        var sent = _gemini.LogEntries.Single().RequestMessage;
        sent.Headers!["x-goog-api-key"].Should().ContainSingle().Which.Should().Be(Key);
        sent.RawQuery.Should().NotContain("key=");
        using var body = JsonDocument.Parse(sent.Body!);
        body.RootElement.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString().Should().Be("Be brief.");
        body.RootElement.GetProperty("contents")[0].GetProperty("role").GetString().Should().Be("user");
        body.RootElement.GetProperty("generationConfig").GetProperty("temperature").GetDouble().Should().Be(0.5);
        body.RootElement.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32().Should().Be(100);
    }

    [Fact]
    public async Task StreamingChatCompletionWithUsage()
    {
        const string sse = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":3},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo!\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}\r\n\r\n";
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:streamGenerateContent").WithParam("alt", "sse").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in _sdk.GetChatClient("gemini-2.5-flash").CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        text.ToString().Should().Be("Hello!");
        finish.Should().Be(ChatFinishReason.Stop);
        usage!.TotalTokenCount.Should().Be(5, "the SDK asks for include_usage, and the usage of Gemini's last event is reported");
    }

    [Fact]
    public async Task MultiTurnToolCallKeepsTheThoughtSignature()
    {
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-3-pro-preview:generateContent").UsingPost()).InScenario("tools").WillSetStateTo("called")
            .RespondWith(Json("""
                {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{ "city" : "Paris" }},"thoughtSignature":"c2lnLTE="}]},"finishReason":"STOP","index":0}],
                 "usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":5,"totalTokenCount":25},"modelVersion":"gemini-3-pro-preview"}
                """));
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-3-pro-preview:generateContent").UsingPost()).InScenario("tools").WhenStateIs("called")
            .RespondWith(Json("""
                {"candidates":[{"content":{"role":"model","parts":[{"text":"It is sunny in Paris."}]},"finishReason":"STOP","index":0}],
                 "usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":6,"totalTokenCount":46},"modelVersion":"gemini-3-pro-preview"}
                """));
        var chat = _sdk.GetChatClient("gemini-3-pro-preview");
        var tool = ChatTool.CreateFunctionTool("get_weather", "Gets the weather", BinaryData.FromString("""
            {"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}
            """), functionSchemaIsStrict: true);
        var options = new ChatCompletionOptions { Tools = { tool } };
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];

        ChatCompletion first = await chat.CompleteChatAsync(messages, options);

        first.FinishReason.Should().Be(ChatFinishReason.ToolCalls);
        var call = first.ToolCalls.Single();
        call.FunctionName.Should().Be("get_weather");
        call.FunctionArguments.ToString().Should().Be("""{"city":"Paris"}""");

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"forecast":"sunny"}"""));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options);

        second.Content.Single().Text.Should().Be("It is sunny in Paris.");
        using var firstRequest = JsonDocument.Parse(_gemini.LogEntries[0].RequestMessage.Body!);
        var declaration = firstRequest.RootElement.GetProperty("tools")[0].GetProperty("functionDeclarations")[0];
        declaration.GetProperty("parameters").TryGetProperty("additionalProperties", out _).Should().BeFalse("Gemini rejects it");
        using var secondRequest = JsonDocument.Parse(_gemini.LogEntries[_gemini.LogEntries.Count - 1].RequestMessage.Body!);
        var contents = secondRequest.RootElement.GetProperty("contents");
        contents.GetArrayLength().Should().Be(3);
        var modelPart = contents[1].GetProperty("parts")[0];
        modelPart.GetProperty("functionCall").GetProperty("name").GetString().Should().Be("get_weather");
        modelPart.GetProperty("thoughtSignature").GetString().Should().Be("c2lnLTE=", "the signature went to the client and came back with the history");
        var response = contents[2].GetProperty("parts")[0].GetProperty("functionResponse");
        response.GetProperty("name").GetString().Should().Be("get_weather");
        response.GetProperty("response").GetProperty("forecast").GetString().Should().Be("sunny");
    }

    [Fact]
    public async Task JsonSchemaOutputAndImageInput()
    {
        Given("gemini-2.5-flash:generateContent", """
            {"candidates":[{"content":{"role":"model","parts":[{"text":"{\"color\":\"red\"}"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":300,"candidatesTokenCount":5,"totalTokenCount":305}}
            """);
        var image = ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47]), "image/png");
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("color", BinaryData.FromString("""
                {"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"color":{"type":"string","enum":["red","green"]}},"required":["color"],"additionalProperties":false}
                """), jsonSchemaIsStrict: true),
        };

        ChatCompletion completion = await _sdk.GetChatClient("gemini-2.5-flash").CompleteChatAsync(
            [new UserChatMessage(ChatMessageContentPart.CreateTextPart("What color?"), image)], options);

        completion.Content.Single().Text.Should().Be("""{"color":"red"}""");
        using var sent = JsonDocument.Parse(_gemini.LogEntries.Single().RequestMessage.Body!);
        var config = sent.RootElement.GetProperty("generationConfig");
        config.GetProperty("responseMimeType").GetString().Should().Be("application/json");
        config.GetProperty("responseSchema").GetProperty("properties").GetProperty("color").GetProperty("enum").GetArrayLength().Should().Be(2);
        config.GetProperty("responseSchema").TryGetProperty("$schema", out _).Should().BeFalse();
        var inline = sent.RootElement.GetProperty("contents")[0].GetProperty("parts")[1].GetProperty("inlineData");
        inline.GetProperty("mimeType").GetString().Should().Be("image/png");
        inline.GetProperty("data").GetString().Should().Be(Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47]));
    }

    [Fact]
    public async Task EmbeddingsInBase64()
    {
        Given("text-embedding-004:embedContent", """{"embedding":{"values":[0.5,-0.25,0.125]}}""");

        var embedding = await _sdk.GetEmbeddingClient("text-embedding-004").GenerateEmbeddingAsync("hello", new global::OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 3 });

        embedding.Value.ToFloats().ToArray().Should().Equal(0.5f, -0.25f, 0.125f);
        using var sent = JsonDocument.Parse(_gemini.LogEntries.Single().RequestMessage.Body!);
        sent.RootElement.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString().Should().Be("hello");
        sent.RootElement.GetProperty("outputDimensionality").GetInt32().Should().Be(3);
    }

    [Fact]
    public async Task SpeechAsWav()
    {
        var pcm = new byte[480];
        for (var i = 0; i < pcm.Length; i++)
        {
            pcm[i] = (byte)i;
        }

        Given("gemini-2.5-flash-preview-tts:generateContent", $$$"""
            {"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"audio/L16;codec=pcm;rate=24000","data":"{{{Convert.ToBase64String(pcm)}}}"}}]},"finishReason":"STOP","index":0}]}
            """);

        var audio = await _sdk.GetAudioClient("gemini-2.5-flash-preview-tts").GenerateSpeechAsync("Hello", GeneratedSpeechVoice.Alloy, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });

        var wav = audio.Value.ToArray();
        Encoding.ASCII.GetString(wav, 0, 4).Should().Be("RIFF");
        BitConverter.ToInt32(wav, 24).Should().Be(24000);
        wav.AsSpan(44).ToArray().Should().Equal(pcm);
        using var sent = JsonDocument.Parse(_gemini.LogEntries.Single().RequestMessage.Body!);
        var config = sent.RootElement.GetProperty("generationConfig");
        config.GetProperty("responseModalities")[0].GetString().Should().Be("AUDIO");
        config.GetProperty("speechConfig").GetProperty("voiceConfig").GetProperty("prebuiltVoiceConfig").GetProperty("voiceName").GetString().Should().Be("Kore");
    }

    [Fact]
    public async Task SpeechInMp3IsAClear400()
    {
        var call = () => _sdk.GetAudioClient("gemini-2.5-flash-preview-tts").GenerateSpeechAsync("Hello", GeneratedSpeechVoice.Alloy, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Mp3 });

        var failure = (await call.Should().ThrowAsync<ClientResultException>()).Which;
        failure.Status.Should().Be(400);
        failure.Message.Should().Contain("response_format");
        _gemini.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task RateLimitKeepsGeminisRetryDelay()
    {
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Content-Type", "application/json").WithBody("""
                {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}
                """));
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        ((int)response.StatusCode).Should().Be(429);
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(38));
        _gemini.LogEntries.Should().HaveCount(1, "a wait longer than the gateway's own limit is the client's to take");
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("type").GetString().Should().Be("rate_limit_error");
        error.GetProperty("message").GetString().Should().Contain("Resource has been exhausted");
    }

    [Fact]
    public async Task ResponsesApiThroughTheChatTranslation()
    {
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost()).InScenario("r").WillSetStateTo("called")
            .RespondWith(Json("""
                {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"c2ln"}]},"finishReason":"STOP","index":0}],
                 "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":3,"totalTokenCount":15},"responseId":"g1"}
                """));
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost()).InScenario("r").WhenStateIs("called")
            .RespondWith(Json("""
                {"candidates":[{"content":{"role":"model","parts":[{"text":"Cold in Oslo."}]},"finishReason":"STOP","index":0}],
                 "usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":4,"totalTokenCount":34},"responseId":"g2"}
                """));
        using var client = new HttpClient { BaseAddress = _address };
        const string tools = """[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},"strict":true}]""";

        using var first = await client.PostAsync("/v1/responses", new StringContent(
            $$"""{"model":"gemini-2.5-flash","instructions":"Be brief.","input":"Weather in Oslo?","tools":{{tools}},"max_output_tokens":200}""", Encoding.UTF8, "application/json"));
        first.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        using var firstBody = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        var call = firstBody.RootElement.GetProperty("output")[0];
        call.GetProperty("type").GetString().Should().Be("function_call");
        call.GetProperty("name").GetString().Should().Be("get_weather");
        call.GetProperty("arguments").GetString().Should().Be("""{"city":"Oslo"}""");
        var callId = call.GetProperty("call_id").GetString();

        using var second = await client.PostAsync("/v1/responses", new StringContent($$"""
            {"model":"gemini-2.5-flash","tools":{{tools}},"input":[
              {"role":"user","content":"Weather in Oslo?"},
              {{call.GetRawText()}},
              {"type":"function_call_output","call_id":"{{callId}}","output":"{\"temp\":-3}"}]}
            """, Encoding.UTF8, "application/json"));
        second.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        using var secondBody = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        secondBody.RootElement.GetProperty("status").GetString().Should().Be("completed");
        secondBody.RootElement.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString().Should().Be("Cold in Oslo.");
        secondBody.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32().Should().Be(30);

        using var firstSent = JsonDocument.Parse(_gemini.LogEntries[0].RequestMessage.Body!);
        firstSent.RootElement.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString().Should().Be("Be brief.");
        firstSent.RootElement.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32().Should().Be(200);
        using var secondSent = JsonDocument.Parse(_gemini.LogEntries[1].RequestMessage.Body!);
        var contents = secondSent.RootElement.GetProperty("contents");
        contents[1].GetProperty("parts")[0].GetProperty("thoughtSignature").GetString().Should().Be("c2ln", "the signature rode along in the function_call item");
        contents[2].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("response").GetProperty("temp").GetInt32().Should().Be(-3);
    }

    [Fact]
    public async Task ResponsesApiStreamThroughTheChatTranslation()
    {
        const string sse = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"}]},\"index\":0}],\"responseId\":\"g9\"}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo\"},{\"functionCall\":{\"name\":\"lookup\",\"args\":{\"q\":\"x\"}},\"thoughtSignature\":\"c2ln\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":3,\"totalTokenCount\":8},\"responseId\":\"g9\"}\r\n\r\n";
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:streamGenerateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/responses", new StringContent(
            """{"model":"gemini-2.5-flash","input":"hi","stream":true,"tools":[{"type":"function","name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}]}""",
            Encoding.UTF8,
            "application/json"));

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        var text = await response.Content.ReadAsStringAsync();
        text.Should().NotContain("[DONE]");
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => (Name: block.Split('\n')[0]["event: ".Length..], Data: JsonDocument.Parse(block.Split('\n')[1]["data: ".Length..]).RootElement))
            .ToList();
        events.Select(e => e.Name).Should().Equal(
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed");
        events.Select(e => e.Data.GetProperty("sequence_number").GetInt32()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        events.Should().OnlyContain(e => e.Data.GetProperty("type").GetString() == e.Name);
        var completed = events[^1].Data.GetProperty("response");
        completed.GetProperty("status").GetString().Should().Be("completed");
        completed.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString().Should().Be("Hello");
        var call = completed.GetProperty("output")[1];
        call.GetProperty("name").GetString().Should().Be("lookup");
        call.GetProperty("arguments").GetString().Should().Be("""{"q":"x"}""");
        call.GetProperty("extra_content").GetProperty("google").GetProperty("thought_signature").GetString().Should().Be("c2ln");
        completed.GetProperty("usage").GetProperty("total_tokens").GetInt32().Should().Be(8);
        events[0].Data.GetProperty("response").GetProperty("id").GetString().Should().Be(completed.GetProperty("id").GetString(), "the id is stable across the stream");
    }

    [Fact]
    public async Task SdkResponsesClientStreamsFromGemini()
    {
        const string sse = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Good \"}]},\"index\":0}]}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"morning\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":2,\"totalTokenCount\":4}}\r\n\r\n";
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:streamGenerateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
        var responses = _sdk.GetResponsesClient();

        var text = new StringBuilder();
        global::OpenAI.Responses.ResponseResult? completed = null;
        await foreach (var update in await responses.CreateResponseStreamingAsync("gemini-2.5-flash", "Say good morning", previousResponseId: null))
        {
            if (update is global::OpenAI.Responses.StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is global::OpenAI.Responses.StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }
#pragma warning restore OPENAI001

        text.ToString().Should().Be("Good morning");
        completed!.GetOutputText().Should().Be("Good morning");
        completed.Usage.TotalTokenCount.Should().Be(4);
    }

    [Theory]
    [InlineData("""{"model":"gemini-2.5-flash","input":"hi","previous_response_id":"resp_1"}""", "previous_response_id", 404)] // unknown to the gateway, before Gemini's turn
    [InlineData("""{"model":"gemini-2.5-flash","input":"hi","tools":[{"type":"web_search"}]}""", "tools[0].type", 400)]
    public async Task ResponsesFeaturesGeminiCannotServeAreRefused(string body, string param, int status)
    {
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/responses", new StringContent(body, Encoding.UTF8, "application/json"));

        ((int)response.StatusCode).Should().Be(status);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("param").GetString().Should().Be(param);
        _gemini.LogEntries.Should().BeEmpty();
    }

    [Theory]
    [InlineData("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"stop":[1,2]}""")]
    [InlineData("""{"model":"gemini-2.5-flash","messages":[{"role":"system","content":[{"type":"text","text":5}]},{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"extreme"}""")]
    [InlineData("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}""")]
    public async Task MalformedValuesDeepInTheRequestAreA400(string body)
    {
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("type").GetString().Should().Be("invalid_request_error");
        _gemini.LogEntries.Should().BeEmpty();
    }

    private void Given(string modelAndMethod, string body) =>
        _gemini.Given(Request.Create().WithPath("/v1beta/models/" + modelAndMethod).UsingPost()).RespondWith(Json(body));

    private static IResponseBuilder Json(string body) =>
        Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);
}
