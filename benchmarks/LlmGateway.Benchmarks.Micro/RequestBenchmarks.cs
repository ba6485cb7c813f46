using BenchmarkDotNet.Attributes;
using LlmGateway.Internal;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>What every request pays before it is routed: reading its routing fields, rewriting its model, the cache key.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RequestBenchmarks
{
    private byte[] _body = [];
    private int _modelStart;
    private int _modelLength;

    [Params(BodySize.Small, BodySize.Large)]
    public BodySize Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _body = Payloads.Chat(Size);
        var peek = RequestPeek.Read(_body, GatewayOperation.ChatCompletions);
        if (peek.Error is not null)
        {
            throw new InvalidOperationException(peek.Error.Message);
        }

        _modelStart = peek.ModelStart;
        _modelLength = peek.ModelLength;
    }

    [Benchmark(Description = "RequestPeek.Read")]
    public string Peek() => RequestPeek.Read(_body, GatewayOperation.ChatCompletions).Model;

    [Benchmark(Description = "ModelRewriter.Rewrite")]
    public byte[] Rewrite() => ModelRewriter.Rewrite(_body, _modelStart, _modelLength, "gpt-4o-mini-2024-07-18");

    [Benchmark(Description = "CacheKeyBuilder.Hash")]
    public string CacheKey() => CacheKeyBuilder.Hash(_body, GatewayOperation.ChatCompletions, "gpt-4o-mini-2024-07-18", normalize: false);
}
