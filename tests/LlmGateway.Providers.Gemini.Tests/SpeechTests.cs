using System.Buffers.Binary;
using System.Text;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>OpenAI <c>/v1/audio/speech</c> → Gemini TTS (<c>generateContent</c> with the AUDIO modality) → wav or pcm.</summary>
public sealed class SpeechTests : IDisposable
{
    private const string Model = "gemini-2.5-flash-preview-tts";
    private static readonly string SpeechPath = GeminiUpstream.GeneratePath(Model);

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_Speech_RequestsAudioWithThePrebuiltVoice()
    {
        _upstream.PostReturnsFile(SpeechPath, "tts-audio.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","response_format":"wav"}""");

        _upstream.SingleRequest(SpeechPath).Body.ShouldEqualJson("""
            {"contents":[{"role":"user","parts":[{"text":"Hello"}]}],
             "generationConfig":{"responseModalities":["AUDIO"],
               "speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}}}}}
            """);
        response.IsSuccess.Should().BeTrue();
        response.ContentType.Should().Be("audio/wav");
    }

    [Theory]
    [InlineData("alloy", "Kore")]
    [InlineData("echo", "Charon")]
    [InlineData("Puck", "Puck")]
    public async Task SendAsync_OpenAIVoiceName_MapsToAGeminiVoice(string voice, string expected)
    {
        _upstream.PostReturnsFile(SpeechPath, "tts-audio.json");

        var response = await Speak($$"""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"{{voice}}"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("generationConfig", "speechConfig", "voiceConfig", "prebuiltVoiceConfig", "voiceName").GetString().Should().Be(expected);
        response.ContentType.Should().Be("audio/wav", "wav is the default format for Gemini speech");
    }

    [Fact]
    public async Task SendAsync_Instructions_ArePrependedToTheText()
    {
        _upstream.PostReturnsFile(SpeechPath, "tts-audio.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Have a wonderful day!","voice":"alloy","instructions":"Say cheerfully"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Say cheerfully: Have a wonderful day!");
        response.IsSuccess.Should().BeTrue();
    }

    [Theory]
    [InlineData("tts-audio.json", 24000)]
    [InlineData("tts-audio-16k.json", 16000)]
    public async Task SendAsync_WavFormat_WrapsThePcmInA44ByteRiffHeaderAtTheMimeTypesRate(string file, int rate)
    {
        _upstream.PostReturnsFile(SpeechPath, file);
        var pcm = InlinePcm(file);

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","response_format":"wav"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("generationConfig", "responseModalities", 0).GetString().Should().Be("AUDIO");
        response.StatusCode.Should().Be(200);
        response.ContentType.Should().Be("audio/wav");
        var wav = response.Body.ToArray();
        wav.Should().HaveCount(44 + pcm.Length);
        Encoding.ASCII.GetString(wav, 0, 4).Should().Be("RIFF");
        BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(4)).Should().Be(36 + pcm.Length, "the RIFF size counts everything after its own field");
        Encoding.ASCII.GetString(wav, 8, 4).Should().Be("WAVE");
        Encoding.ASCII.GetString(wav, 12, 4).Should().Be("fmt ");
        BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(16)).Should().Be(16, "the PCM fmt chunk is 16 bytes");
        BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(20)).Should().Be(1, "format 1 is PCM");
        BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(22)).Should().Be(1, "mono");
        BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(24)).Should().Be(rate);
        BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(28)).Should().Be(rate * 2, "byte rate = rate × channels × 16 bits / 8");
        BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(32)).Should().Be(2, "block align = channels × 16 bits / 8");
        BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(34)).Should().Be(16);
        Encoding.ASCII.GetString(wav, 36, 4).Should().Be("data");
        BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(40)).Should().Be(pcm.Length);
        wav.AsSpan(44).ToArray().Should().Equal(pcm);
    }

    [Fact]
    public async Task SendAsync_PcmFormat_AnswersTheRawPcm()
    {
        _upstream.PostReturnsFile(SpeechPath, "tts-audio.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","response_format":"pcm"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hello");
        response.ContentType.Should().Be("audio/pcm");
        response.Body.ToArray().Should().Equal(InlinePcm("tts-audio.json"));
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("opus")]
    [InlineData("flac")]
    public async Task SendAsync_EncodedFormat_Is400NamingResponseFormat(string format)
    {
        var response = await Speak($$"""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","response_format":"{{format}}"}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("response_format");
        response.Error.Code.Should().Be("unsupported_parameter");
        response.Error.Message.Should().Contain(format);
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_SpeedOtherThanOne_Is400NamingSpeed()
    {
        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","speed":1.5}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("speed");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_SpeedOne_IsAccepted()
    {
        _upstream.PostReturnsFile(SpeechPath, "tts-audio.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore","speed":1.0}""");

        _upstream.SingleRequest(SpeechPath).Body.Has("speed").Should().BeFalse();
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_BlockedPrompt_Is400ContentFilter()
    {
        _upstream.PostReturnsFile(SpeechPath, "generate-prompt-blocked.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hello");
        response.StatusCode.Should().Be(400);
        response.Error!.Code.Should().Be("content_filter");
    }

    [Fact]
    public async Task SendAsync_AnswerWithoutAudio_Is502InvalidResponse()
    {
        _upstream.PostReturnsFile(SpeechPath, "generate-text.json");

        var response = await Speak("""{"model":"gemini-2.5-flash-preview-tts","input":"Hello","voice":"Kore"}""");

        _upstream.SingleRequest(SpeechPath).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hello");
        response.StatusCode.Should().Be(502);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamInvalidResponse);
    }

    private static byte[] InlinePcm(string file) =>
        Convert.FromBase64String(Json.Parse(GeminiUpstream.TestData(file)).Path("candidates", 0, "content", "parts", 0, "inlineData", "data").GetString()!);

    private Task<GatewayResponse> Speak(string json) => _upstream.SendAsync(GatewayOperation.AudioSpeech, json, Model);
}
