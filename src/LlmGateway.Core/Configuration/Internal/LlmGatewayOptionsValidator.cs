using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Validates the whole configuration and reports every problem, each naming its key (YARP's ConfigValidator does
/// not short-circuit either). Provider-type rules come from each type's <see cref="ILlmProviderFactory.Validate"/>.
/// </summary>
internal sealed class LlmGatewayOptionsValidator(IEnumerable<ILlmProviderFactory> factories, IEnumerable<IRoutingStrategy>? strategies = null) : IValidateOptions<LlmGatewayOptions>
{
    private readonly IEnumerable<IRoutingStrategy> _strategies = strategies ?? [];

    private const string Prefix = LlmGatewayOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, LlmGatewayOptions options)
    {
        var errors = new List<string>();
        if (options.MaxRequestBodySize <= 0)
        {
            errors.Add($"{Prefix}MaxRequestBodySize must be a positive number of bytes.");
        }

        CheckPositive(errors, options.RequestTimeout, nameof(options.RequestTimeout));
        CheckPositive(errors, options.StreamIdleTimeout, nameof(options.StreamIdleTimeout));
        if (options.ModelListCacheDuration < TimeSpan.Zero)
        {
            errors.Add($"{Prefix}ModelListCacheDuration must not be negative.");
        }

        foreach (var (instanceName, provider) in options.Providers)
        {
            var key = $"{Prefix}Providers:{instanceName}";
            if (provider is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }

            if (instanceName.Contains('/', StringComparison.Ordinal) || string.IsNullOrWhiteSpace(instanceName))
            {
                errors.Add($"{key}: a provider name must not be blank or contain '/', since '<name>/<model>' picks an instance.");
            }

            if (string.IsNullOrWhiteSpace(provider.Type))
            {
                errors.Add($"{key}:Type is required (one of: {RegisteredTypes()}).");
                continue;
            }

            var factory = Find(provider.Type);
            if (factory is null)
            {
                errors.Add($"{key}:Type '{provider.Type}' is not a registered provider type (registered: {RegisteredTypes()}). Register it, e.g. with .Add{provider.Type}().");
                continue;
            }

            for (var i = 0; i < provider.Models.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(provider.Models[i]))
                {
                    errors.Add($"{key}:Models:{i} is empty.");
                }
            }

            errors.AddRange(factory.Validate(instanceName, provider));
        }

        if (options.RequestBudget is { } budget)
        {
            CheckPositive(errors, budget, nameof(options.RequestBudget));
        }

        if (options.FirstTokenTimeout is { } firstToken)
        {
            CheckPositive(errors, firstToken, nameof(options.FirstTokenTimeout));
        }

        if (options.Circuit.FailureThreshold < 1)
        {
            errors.Add($"{Prefix}Circuit:FailureThreshold must be at least 1.");
        }

        CheckPositive(errors, options.Circuit.BreakDuration, "Circuit:BreakDuration");

        if (options.MaxAttempts < 1)
        {
            errors.Add($"{Prefix}MaxAttempts must be at least 1.");
        }

        foreach (var (alias, model) in options.Models)
        {
            ValidateAlias(errors, options, alias, model);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateAlias(List<string> errors, LlmGatewayOptions options, string alias, ModelAliasOptions? model)
    {
        var key = $"{Prefix}Models:{alias}";
        if (model is null || model.Targets.Count == 0)
        {
            errors.Add($"{key}:Targets needs at least one target.");
            return;
        }

        if (!_strategies.Any(s => string.Equals(s.Name, model.Strategy, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{key}:Strategy '{model.Strategy}' is not a registered strategy (registered: {string.Join(", ", _strategies.Select(static s => s.Name))}).");
        }

        for (var i = 0; i < model.Targets.Count; i++)
        {
            var target = model.Targets[i];
            if (string.IsNullOrWhiteSpace(target.Provider) || !options.Providers.ContainsKey(target.Provider))
            {
                errors.Add($"{key}:Targets:{i}:Provider '{target.Provider}' is not a configured provider instance.");
            }

            if (target.Weight < 0)
            {
                errors.Add($"{key}:Targets:{i}:Weight must not be negative.");
            }
        }

        if (string.Equals(model.Strategy, RoutingStrategies.Weighted, StringComparison.OrdinalIgnoreCase) && model.Targets.All(static t => t.Weight <= 0))
        {
            errors.Add($"{key}: the Weighted strategy needs at least one target with a positive Weight.");
        }
    }

    internal static string? ValidateBaseUrl(string instanceName, string? baseUrl)
    {
        if (baseUrl is null)
        {
            return null;
        }

        return Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? null
            : $"{Prefix}Providers:{instanceName}:BaseUrl '{baseUrl}' is not an absolute http or https URL.";
    }

    /// <summary>The longest wait a timer can take (uint.MaxValue - 1 ms, about 49.7 days).</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static void CheckPositive(List<string> errors, TimeSpan value, string key)
    {
        if (value == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{Prefix}{key} must be a positive time span (e.g. 00:05:00).");
        }
        else if (value > MaxTimeout)
        {
            errors.Add($"{Prefix}{key} must be at most 49.17:02:47 (about 49 days); use -00:00:00.001 for no timeout.");
        }
    }

    private ILlmProviderFactory? Find(string type)
    {
        foreach (var factory in factories)
        {
            if (string.Equals(factory.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                return factory;
            }
        }

        return null;
    }

    private string RegisteredTypes()
    {
        var names = factories.Select(static f => f.Type).ToList();
        return names.Count == 0 ? "none; call AddOpenAI() or AddGemini()" : string.Join(", ", names);
    }
}
