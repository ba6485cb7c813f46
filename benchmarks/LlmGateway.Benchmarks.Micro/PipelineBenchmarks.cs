using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>
/// A whole in-process request through <see cref="ILlmGateway.SendAsync"/> to a provider that answers at once: admission,
/// the stages added with <c>Use</c> (none, or one that only calls the next), routing, accounting and telemetry. The
/// difference between the two rows is what a pass-through stage costs.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PipelineBenchmarks
{
    private ServiceProvider _services = null!;
    private ILlmGateway _gateway = null!;
    private ReadOnlyMemory<byte> _body;

    [Params(0, 1)]
    public int Stages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILlmProviderFactory>(new InstantProviderFactory());
        var builder = services.AddLlmGateway(options => options.Providers["instant"] = new ProviderOptions { Type = InstantProviderFactory.TypeName, ApiKey = "benchmark" });
        for (var i = 0; i < Stages; i++)
        {
            builder.Use(static (context, next) => next(context));
        }

        _services = services.BuildServiceProvider();
        _gateway = _services.GetRequiredService<ILlmGateway>();
        _body = Payloads.Chat(BodySize.Small);
        _body = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(_body.Span).Replace("\"gpt-4o-mini\"", "\"instant/gpt-4o-mini\"", StringComparison.Ordinal));
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Description = "ILlmGateway.SendAsync")]
    public async Task<int> Send()
    {
        await using var response = await _gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, _body));
        return response.StatusCode;
    }

    private sealed class InstantProviderFactory : ILlmProviderFactory
    {
        public const string TypeName = "Instant";

        public string Type => TypeName;

        public IEnumerable<string> Validate(string name, ProviderOptions options) => [];

        public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) => new InstantProvider(name);
    }

    private sealed class InstantProvider(string name) : ILlmProvider
    {
        private static readonly byte[] s_answer = """{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"""u8.ToArray();

        public string Name { get; } = name;

        public string Type => InstantProviderFactory.TypeName;

        public ProviderCapabilities Capabilities => ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions;

        public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(GatewayResponse.FromBody(s_answer));

        public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ModelListResult.Success([]));
    }
}
