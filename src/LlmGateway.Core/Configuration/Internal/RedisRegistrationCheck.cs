using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Fails start-up when <c>LlmGateway:Redis</c> is set but the stores are still the in-memory defaults: Core does not
/// talk to Redis itself, and a gateway that silently kept its state per instance would break shared keys, limits and
/// budgets without a word.
/// </summary>
/// <remarks>Reads the service collection when the options are validated (at start-up), when it is complete.</remarks>
internal sealed class RedisRegistrationCheck(IServiceCollection services) : IValidateOptions<LlmGatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Redis) || !UsesMemoryDefault())
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            "LlmGateway:Redis is set, but the Redis stores are not registered: add the LlmGateway.Redis package and call " +
            ".AddRedis() on the gateway builder (services.AddLlmGateway(...).AddRedis()), or unset LlmGateway:Redis.");
    }

    /// <summary>Whether the key, usage or rate-limit store is still the in-memory default.</summary>
    private bool UsesMemoryDefault() =>
        IsDefault(typeof(IKeyStore), typeof(MemoryKeyStore))
        || IsDefault(typeof(IUsageStore), typeof(MemoryUsageStore))
        || IsDefault(typeof(IRateLimitStore), typeof(MemoryRateLimitStore));

    private bool IsDefault(Type service, Type memory) =>
        services.LastOrDefault(d => d.ServiceType == service) is { } last && last.ImplementationType == memory;
}
