using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Internal;

internal sealed record LlmGatewayBuilder(IServiceCollection Services) : ILlmGatewayBuilder;
