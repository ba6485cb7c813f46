using BenchmarkDotNet.Attributes;
using LlmGateway.Internal;
using Microsoft.Extensions.Options;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>The key lookup (SHA-256 of the presented key, then the configured keys) and the usage reading.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class KeyAndUsageBenchmarks
{
    private const string Key = "lgw-5mK0b2q3Vt8yZrXw1cJd7HfNe4sLpA9uGiOoRkTnBxE";

    private readonly byte[] _completion = Payloads.Completion();
    private readonly byte[] _usageChunk = Payloads.UsageChunk();
    private KeyRegistry _registry = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new LlmGatewayOptions();
        for (var i = 0; i < 20; i++)
        {
            options.Auth.Keys.Add(new GatewayKeyOptions { Name = $"team-{i}", Key = i == 10 ? Key : KeyHashing.NewKey() });
        }

        _registry = new KeyRegistry(new StaticOptionsMonitor(options), new MemoryKeyStore());
        if (_registry.FindAsync(Key, CancellationToken.None).AsTask().GetAwaiter().GetResult() is null)
        {
            throw new InvalidOperationException("The configured key was not found.");
        }
    }

    [Benchmark(Description = "KeyRegistry.FindAsync (configured key)")]
    public async Task<bool> FindKey() => await _registry.FindAsync(Key, CancellationToken.None) is not null;

    [Benchmark(Description = "UsageReader.FromBody (completion)")]
    public long UsageFromBody() => UsageReader.FromBody(_completion)?.TotalTokens ?? -1;

    [Benchmark(Description = "UsageReader.FromChunk (usage chunk)")]
    public long UsageFromChunk() => UsageReader.FromChunk(_usageChunk, out _)?.TotalTokens ?? -1;

    private sealed class StaticOptionsMonitor(LlmGatewayOptions value) : IOptionsMonitor<LlmGatewayOptions>
    {
        public LlmGatewayOptions CurrentValue => value;

        public LlmGatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LlmGatewayOptions, string?> listener) => null;
    }
}
