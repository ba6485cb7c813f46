using BenchmarkDotNet.Attributes;
using LlmGateway.Internal;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>
/// The pass-through stream: <see cref="OpenAISseReader"/> reading an upstream's SSE stream. Two stream lengths show
/// the cost per chunk: (allocated at 200 − allocated at 20) / 180 is what each chunk costs beyond the stream's fixed
/// cost, to compare with the chunk's own bytes (its data, copied once into an array).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class StreamBenchmarks
{
    private byte[] _sse = [];

    [Params(20, 200)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup() => _sse = Payloads.SseStream(Chunks);

    [Benchmark(Description = "OpenAISseReader.ReadAsync (whole stream)")]
    public async Task<int> ReadStream()
    {
        // The MemoryStream itself is a fixed cost of each run, the same at both lengths.
        using var stream = new MemoryStream(_sse, writable: false);
        var bytes = 0;
        await foreach (var item in OpenAISseReader.ReadAsync(stream, TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None))
        {
            bytes += item.Data.Length;
        }

        return bytes;
    }
}
