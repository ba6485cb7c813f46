using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using OpenAI;
using OpenAI.Audio;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>Speech, transcription and translation through the host to an OpenAI-type upstream.</summary>
public sealed class AudioTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly Uri _address;

    public AudioTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1");
        _address = _host.StartKestrel();
    }

    public void Dispose()
    {
        _host.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task TranscriptionIsForwardedByteForByteWithTheFileName()
    {
        _upstream.Given(Request.Create().WithPath("/v1/audio/transcriptions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"text":"Hello world."}"""));
        var audio = new byte[64 * 1024];
        new Random(7).NextBytes(audio);
        using var form = new MultipartFormDataContent("test-boundary-123");
        var file = new ByteArrayContent(audio);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/mpeg");
        form.Add(file, "file", "meeting notes.mp3");
        form.Add(new StringContent("whisper-1"), "model");
        form.Add(new StringContent("en"), "language");
        form.Add(new StringContent("word"), "timestamp_granularities[]");
        var sentBody = await form.ReadAsByteArrayAsync();
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/audio/transcriptions", form);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("""{"text":"Hello world."}""");
        var received = _upstream.LogEntries.Single().RequestMessage;
        received.BodyAsBytes.Should().Equal(sentBody, "the upload goes upstream unchanged, file name and all");
        received.Headers!["Content-Type"].Single().Should().Be("multipart/form-data; boundary=\"test-boundary-123\"", "the content type goes with its boundary as the client wrote it");
    }

    [Fact]
    public async Task TranscriptionWithAnInstancePrefixRewritesOnlyTheModelField()
    {
        _upstream.Given(Request.Create().WithPath("/v1/audio/transcriptions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/plain").WithBody("Hello world."));
        using var form = new MultipartFormDataContent("b");
        form.Add(new ByteArrayContent([1, 2, 3]), "file", "a.wav");
        form.Add(new StringContent("openai/whisper-1"), "model");
        form.Add(new StringContent("text"), "response_format");
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/audio/transcriptions", form);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await response.Content.ReadAsStringAsync()).Should().Be("Hello world.");
        var body = Encoding.UTF8.GetString(_upstream.LogEntries.Single().RequestMessage.BodyAsBytes!);
        body.Should().Contain("\r\n\r\nwhisper-1\r\n").And.NotContain("openai/whisper-1");
    }

    [Fact]
    public async Task UploadWithoutAFileIsA400()
    {
        using var form = new MultipartFormDataContent("b") { { new StringContent("whisper-1"), "model" } };
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/audio/transcriptions", form);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("param").GetString().Should().Be("file");
    }

    [Fact]
    public async Task JsonBodyOnTheUploadEndpointIsA400()
    {
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.PostAsync("/v1/audio/transcriptions", new StringContent("""{"model":"whisper-1"}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("message").GetString().Should().Contain("multipart/form-data");
    }

    [Fact]
    public async Task SdkTranscriptionTranslationAndSpeech()
    {
        _upstream.Given(Request.Create().WithPath("/v1/audio/transcriptions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"text":"Bonjour."}"""));
        _upstream.Given(Request.Create().WithPath("/v1/audio/translations").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"text":"Hello."}"""));
        _upstream.Given(Request.Create().WithPath("/v1/audio/speech").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/mpeg").WithBody([0xFF, 0xFB, 0x90, 0x44]));
        var sdk = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_address, "/v1") });

        var transcription = await sdk.GetAudioClient("whisper-1").TranscribeAudioAsync(new MemoryStream([1, 2, 3, 4]), "speech.wav");
        var translation = await sdk.GetAudioClient("whisper-1").TranslateAudioAsync(new MemoryStream([1, 2, 3, 4]), "speech.wav");
        var speech = await sdk.GetAudioClient("tts-1").GenerateSpeechAsync("Hello", GeneratedSpeechVoice.Alloy);

        transcription.Value.Text.Should().Be("Bonjour.");
        translation.Value.Text.Should().Be("Hello.");
        speech.Value.ToArray().Should().Equal(0xFF, 0xFB, 0x90, 0x44);
        _upstream.LogEntries.Select(e => e.RequestMessage.Path).Should().Equal("/v1/audio/transcriptions", "/v1/audio/translations", "/v1/audio/speech");
        Encoding.UTF8.GetString(_upstream.LogEntries[0].RequestMessage.BodyAsBytes!).Should().Contain("filename=speech.wav");
    }
}
