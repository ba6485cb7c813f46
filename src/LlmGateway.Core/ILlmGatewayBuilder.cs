using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway;

/// <summary>
/// Returned by <see cref="LlmGatewayServiceCollectionExtensions.AddLlmGateway(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>;
/// provider packages chain their registrations on it (<c>.AddOpenAI().AddGemini()</c>).
/// </summary>
public interface ILlmGatewayBuilder
{
    /// <summary>Gets the service collection the gateway is registered in.</summary>
    IServiceCollection Services { get; }
}
