using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Fakes;

/// <summary>Options whose current value a test swaps, or makes throw as a monitor does after an invalid reload.</summary>
internal sealed class FakeOptionsMonitor(LlmGatewayOptions value) : IOptionsMonitor<LlmGatewayOptions>
{
    public LlmGatewayOptions Value { get; set; } = value;

    public Exception? Failure { get; set; }

    public LlmGatewayOptions CurrentValue => Failure is null ? Value : throw Failure;

    public LlmGatewayOptions Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<LlmGatewayOptions, string?> listener) => null;
}
