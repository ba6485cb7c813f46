using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LlmGateway.Gemini.Internal;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>The Gemini request translation: a chat request with a tool round trip, at both body sizes.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class GeminiRequestBenchmarks
{
    private byte[] _request = [];

    [Params(BodySize.Small, BodySize.Large)]
    public BodySize Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _request = Payloads.ToolChat(Size);
        if (ChatRequestTranslator.Translate(_request, "gemini-2.5-flash").Error is { } error)
        {
            throw new InvalidOperationException(error.Message);
        }
    }

    [Benchmark(Description = "ChatRequestTranslator.Translate")]
    public byte[] TranslateRequest() => ChatRequestTranslator.Translate(_request, "gemini-2.5-flash").Body;
}

/// <summary>One Gemini stream event translated to an OpenAI chunk, as the provider does per event: parse, translate.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class GeminiStreamBenchmarks
{
    private readonly List<byte[]> _chunks = [];
    private readonly byte[] _event = Payloads.GeminiChunk();
    private StreamTranslator _translator = null!;

    [GlobalSetup]
    public void Setup() =>
        _translator = new StreamTranslator("gemini-2.5-flash", includeUsage: true, parallelToolCalls: true, TimeProvider.System);

    [Benchmark(Description = "StreamTranslator.Translate (one event)")]
    public int TranslateStreamEvent()
    {
        _chunks.Clear();
        using var document = JsonDocument.Parse(_event);
        _translator.Translate(document.RootElement, _chunks);
        return _chunks.Count;
    }
}
