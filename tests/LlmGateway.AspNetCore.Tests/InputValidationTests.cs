using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// A body that is not what it seems (bytes that are not UTF-8, nesting without end, a parameter named twice, a model
/// name with line breaks, a value out of range, a missing input) is refused with a 400 naming the parameter before
/// anything is forwarded, counted or billed: the upstream never hears of it.
/// </summary>
public sealed class InputValidationTests : IDisposable
{
    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public InputValidationTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
        _host = new GatewayHost(_upstream.Urls[0] + "/v1", configureServices: services => services.AddSingleton<ILoggerProvider>(_logs));
        _client = _host.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
        _upstream.Dispose();
    }

    private static string Chat(string members) => "{\"model\":\"gpt-4o\"," + Messages + (members.Length > 0 ? "," + members : string.Empty) + "}";

    private Task<HttpResponseMessage> PostAsync(string path, string body) =>
        _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private async Task ShouldBeRefusedAsync(HttpResponseMessage response, string code, string? param)
    {
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("code").GetString().Should().Be(code);
        if (param is null)
        {
            error.GetProperty("param").ValueKind.Should().Be(JsonValueKind.Null);
        }
        else
        {
            error.GetProperty("param").GetString().Should().Be(param);
        }

        _upstream.LogEntries.Should().BeEmpty("a refused request never reaches the upstream");
    }

    [Fact]
    public async Task InvalidUtf8InTheBody_IsRefusedAsInvalidJson()
    {
        var body = Encoding.UTF8.GetBytes(Chat("\"user\":\"X\""));
        var at = Array.IndexOf(body, (byte)'X');
        body[at] = 0xC3; // a lead byte
        body[at + 1] = 0x28; // the closing quote's place: "(" is no continuation byte
        byte[] bytes = [.. body[..(at + 2)], (byte)'"', .. body[(at + 2)..]];
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _client.PostAsync("/v1/chat/completions", content);

        await ShouldBeRefusedAsync(response, "invalid_json", null);
    }

    [Fact]
    public async Task LoneSurrogateEscape_IsRefusedAsInvalidJson()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat("\"user\":\"\\ud800\""));

        await ShouldBeRefusedAsync(response, "invalid_json", null);
    }

    private static string Nested(int depth) =>
        Chat("\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "1" + new string('}', depth - 1));

    [Fact]
    public async Task Nesting65Deep_IsRefusedNamingTheLimit()
    {
        using var response = await PostAsync("/v1/chat/completions", Nested(65));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("message").GetString().Should().Contain("64");
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task Nesting64Deep_IsForwarded()
    {
        using var response = await PostAsync("/v1/chat/completions", Nested(64));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"model\":\"gpt-4o\",\"model\":\"gpt-4o-mini\"," + Messages + "}")]
    [InlineData("{\"model\":\"gpt-4o\"," + Messages + ",\"mod\\u0065l\":\"o1-pro\"}")]
    public async Task ModelNamedTwice_IsRefusedNamingModel(string body)
    {
        using var response = await PostAsync("/v1/chat/completions", body);

        await ShouldBeRefusedAsync(response, "duplicate_parameter", "model");
    }

    [Fact]
    public async Task MultipartModelPartSentTwice_IsRefusedNamingModel()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("whisper-1"), "model");
        form.Add(new StringContent("gpt-4o-transcribe"), "model");
        form.Add(new ByteArrayContent([1, 2, 3, 4]), "file", "a.wav");

        using var response = await _client.PostAsync("/v1/audio/transcriptions", form);

        await ShouldBeRefusedAsync(response, "duplicate_parameter", "model");
    }

    [Theory]
    [InlineData(@"gpt-4o\r\nINFO forged line")]
    [InlineData(@"gpt-4o\n")]
    [InlineData(@"gpt\u0000-4o")]
    [InlineData(@"openai/gpt-4o\r\n")]
    public async Task ControlCharacterInModel_IsRefusedNamingModel(string model)
    {
        using var response = await PostAsync("/v1/chat/completions", "{\"model\":\"" + model + "\"," + Messages + "}");

        await ShouldBeRefusedAsync(response, "invalid_value", "model");
    }

    [Theory]
    [InlineData("n", "0")]
    [InlineData("n", "129")]
    [InlineData("n", "10000")]
    [InlineData("max_tokens", "0")]
    [InlineData("max_tokens", "-1")]
    [InlineData("max_tokens", "2147483648")]
    [InlineData("max_completion_tokens", "0")]
    [InlineData("max_completion_tokens", "2147483648")]
    [InlineData("temperature", "-0.1")]
    [InlineData("temperature", "2.1")]
    [InlineData("top_p", "-0.1")]
    [InlineData("top_p", "1.1")]
    [InlineData("presence_penalty", "-2.1")]
    [InlineData("presence_penalty", "2.1")]
    [InlineData("frequency_penalty", "-2.1")]
    [InlineData("frequency_penalty", "2.1")]
    [InlineData("top_logprobs", "-1")]
    [InlineData("top_logprobs", "21")]
    [InlineData("seed", "9223372036854775808")]
    public async Task NumberOutOfRange_IsRefusedNamingTheParameter(string name, string value)
    {
        using var response = await PostAsync("/v1/chat/completions", Chat($"\"{name}\":{value}"));

        await ShouldBeRefusedAsync(response, "invalid_value", name);
    }

    [Theory]
    [InlineData("n", "1")]
    [InlineData("n", "128")]
    [InlineData("max_tokens", "1")]
    [InlineData("max_tokens", "2147483647")]
    [InlineData("max_completion_tokens", "2147483647")]
    [InlineData("temperature", "0")]
    [InlineData("temperature", "2")]
    [InlineData("top_p", "0")]
    [InlineData("top_p", "1")]
    [InlineData("presence_penalty", "-2")]
    [InlineData("presence_penalty", "2")]
    [InlineData("frequency_penalty", "-2")]
    [InlineData("frequency_penalty", "2")]
    [InlineData("top_logprobs", "0")]
    [InlineData("top_logprobs", "20")]
    [InlineData("seed", "-9223372036854775808")]
    public async Task NumberAtTheEdgeOfItsRange_IsForwarded(string name, string value)
    {
        using var response = await PostAsync("/v1/chat/completions", Chat($"\"{name}\":{value}"));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"model":"text-embedding-3-small","input":"a","dimensions":0}""", "dimensions")]
    [InlineData("/v1/audio/speech", """{"model":"tts-1","input":"a","voice":"alloy","speed":0.2}""", "speed")]
    [InlineData("/v1/audio/speech", """{"model":"tts-1","input":"a","voice":"alloy","speed":4.5}""", "speed")]
    [InlineData("/v1/responses", """{"model":"gpt-4o","input":"a","max_output_tokens":0}""", "max_output_tokens")]
    public async Task NumberOutOfRangeOnOtherEndpoints_IsRefusedNamingTheParameter(string path, string body, string name)
    {
        using var response = await PostAsync(path, body);

        await ShouldBeRefusedAsync(response, "invalid_value", name);
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o"}""")]
    [InlineData("""{"model":"gpt-4o","instructions":"be brief","input":null}""")]
    public async Task ResponsesWithoutInput_IsRefusedNamingInput(string body)
    {
        using var response = await PostAsync("/v1/responses", body);

        await ShouldBeRefusedAsync(response, "missing_required_parameter", "input");
    }

    [Fact]
    public async Task ControlCharacterInTheProviderHeader_IsRefusedNamingTheHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat(string.Empty), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("x-llmgateway-provider", "openai\u001b[2J");

        using var response = await _client.SendAsync(request);

        await ShouldBeRefusedAsync(response, "invalid_value", "x-llmgateway-provider");
    }

    [Fact]
    public async Task ModelWithLineBreaks_NeverReachesALogLineRaw()
    {
        using var response = await PostAsync("/v1/chat/completions", "{\"model\":\"openai/gpt-4o\\r\\nINFO forged line\"," + Messages + "}");

        await EventuallyAsync(() => _logs.Messages.Any(m => m.Contains(" answered ", StringComparison.Ordinal)), "the request writes its line when it ends");
        _logs.Messages.Should().NotContain(m => m.Contains('\n') || m.Contains('\r'), "a client's text cannot start a line of its own");
        _logs.Messages.Should().NotContain(m => m.StartsWith("INFO forged", StringComparison.Ordinal));
    }

    private static async Task EventuallyAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(10);
        }
    }
}
