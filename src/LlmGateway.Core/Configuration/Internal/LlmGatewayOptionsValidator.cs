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
        if (options.ShutdownDrainTimeout <= TimeSpan.Zero || options.ShutdownDrainTimeout > MaxTimeout)
        {
            errors.Add($"{Prefix}ShutdownDrainTimeout must be a positive time span of at most about 49 days (e.g. 00:00:30).");
        }
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
        ValidateResilience(errors, options.Resilience);
        ValidateHedging(errors, options.Hedging, "Hedging");

        if (options.MaxAttempts < 1)
        {
            errors.Add($"{Prefix}MaxAttempts must be at least 1.");
        }

        foreach (var (alias, model) in options.Models)
        {
            ValidateAlias(errors, options, alias, model);
        }

        ValidateAuth(errors, options);
        ValidateCache(errors, options.Cache);
        ValidateBodySizes(errors, options);
        ValidateCors(errors, options.Cors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateResilience(List<string> errors, UpstreamResilienceOptions? resilience)
    {
        if (resilience is null)
        {
            errors.Add($"{Prefix}Resilience is empty.");
            return;
        }

        if (resilience.MaxRetries is < 0 or > UpstreamResilience.MaxRetriesLimit)
        {
            errors.Add($"{Prefix}Resilience:MaxRetries must be from 0 to {UpstreamResilience.MaxRetriesLimit}.");
        }

        if (resilience.BaseDelay < TimeSpan.Zero || resilience.BaseDelay > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{Prefix}Resilience:BaseDelay must be from 00:00:00 to 00:01:00.");
        }

        if (resilience.MaxRetryWait < TimeSpan.Zero || resilience.MaxRetryWait > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{Prefix}Resilience:MaxRetryWait must be from 00:00:00 to 00:10:00.");
        }

        if (resilience.Patience < TimeSpan.Zero || resilience.Patience > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{Prefix}Resilience:Patience must be from 00:00:00 to 00:01:00.");
        }

        if (!(resilience.FailureRatio is > 0 and <= 1))
        {
            errors.Add($"{Prefix}Resilience:FailureRatio must be above 0 and at most 1.");
        }

        if (resilience.MinimumThroughput < 2)
        {
            errors.Add($"{Prefix}Resilience:MinimumThroughput must be at least 2.");
        }

        if (resilience.SamplingDuration < TimeSpan.FromSeconds(1) || resilience.SamplingDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"{Prefix}Resilience:SamplingDuration must be from 00:00:01 to 1.00:00:00.");
        }

        if (resilience.BreakDuration < TimeSpan.FromMilliseconds(500) || resilience.BreakDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"{Prefix}Resilience:BreakDuration must be from 00:00:00.5 to 1.00:00:00.");
        }
    }

    private static void ValidateAuth(List<string> errors, LlmGatewayOptions options)
    {
        var auth = options.Auth;
        if (auth is null)
        {
            errors.Add($"{Prefix}Auth is empty.");
            return;
        }

        if (!Enum.IsDefined(auth.Mode))
        {
            errors.Add($"{Prefix}Auth:Mode must be one of: {string.Join(", ", Enum.GetNames<GatewayAuthMode>())}.");
        }

        if (auth.AdminKeyHash is not null && !KeyHashing.TryNormalizeHash(auth.AdminKeyHash, out _))
        {
            errors.Add($"{Prefix}Auth:AdminKeyHash must be a SHA-256 hash: 64 hex digits.");
        }

        if (auth.AdminKey is { Length: > 0 and < 16 })
        {
            errors.Add($"{Prefix}Auth:AdminKey must be at least 16 characters.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var key = auth.Keys[i];
            var path = $"{Prefix}Auth:Keys:{i}";
            if (key is null)
            {
                errors.Add($"{path} is empty.");
                continue;
            }

            if (string.IsNullOrEmpty(key.Key) == string.IsNullOrEmpty(key.KeyHash))
            {
                errors.Add($"{path}: give exactly one of Key (the key) and KeyHash (its SHA-256 in hex).");
            }
            else if (key.KeyHash is not null && !KeyHashing.TryNormalizeHash(key.KeyHash, out _))
            {
                errors.Add($"{path}:KeyHash must be a SHA-256 hash: 64 hex digits.");
            }
            else if (key.Key is { Length: < 16 })
            {
                errors.Add($"{path}:Key must be at least 16 characters.");
            }

            if (!names.Add(key.Name ?? $"config-{i}"))
            {
                errors.Add($"{path}:Name '{key.Name}' is used by another key; usage is counted per name.");
            }

            ValidatePolicy(errors, key, path);
        }

        ValidatePolicy(errors, auth.Client, $"{Prefix}Auth:Client");
        ValidateAllowedHosts(errors, auth.AllowedHosts);
        if (options.RateLimits is null || options.RateLimits.DefaultOutputTokens < 0)
        {
            errors.Add($"{Prefix}RateLimits:DefaultOutputTokens must not be negative.");
        }

        if (options.RedisKeyPrefix is null)
        {
            errors.Add($"{Prefix}RedisKeyPrefix must not be null.");
        }
    }

    private static void ValidateAllowedHosts(List<string> errors, List<string>? hosts)
    {
        const string Path = Prefix + "Auth:" + nameof(AuthOptions.AllowedHosts);
        if (hosts is null)
        {
            errors.Add($"{Path} is empty.");
            return;
        }

        for (var i = 0; i < hosts.Count; i++)
        {
            if (!IsHost(hosts[i]))
            {
                errors.Add($"{Path}:{i} must be a host name (gateway.internal), a wildcard for its subdomains (*.example.com), an IP address, or *: no scheme, no port, no path.");
            }
        }

        static bool IsHost(string? value)
        {
            if (value == "*")
            {
                return true;
            }

            if (string.IsNullOrEmpty(value))
            {
                return false;
            }

            var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
            if (name.Length > 2 && name[0] == '[' && name[^1] == ']')
            {
                return ReferenceEquals(name, value) && Uri.CheckHostName(name[1..^1]) == UriHostNameType.IPv6;
            }

            return Uri.CheckHostName(name) switch
            {
                UriHostNameType.Dns => true,
                UriHostNameType.IPv4 or UriHostNameType.IPv6 => ReferenceEquals(name, value),
                _ => false,
            };
        }
    }

    private static void ValidateBodySizes(List<string> errors, LlmGatewayOptions options)
    {
        const string Path = Prefix + nameof(LlmGatewayOptions.MaxRequestBodySizes);
        if (options.MaxRequestBodySizes is not { } sizes)
        {
            errors.Add($"{Path} is empty.");
            return;
        }

        Check(sizes.Chat, nameof(sizes.Chat));
        Check(sizes.Embeddings, nameof(sizes.Embeddings));
        Check(sizes.Audio, nameof(sizes.Audio));
        Check(sizes.Speech, nameof(sizes.Speech));
        Check(sizes.Responses, nameof(sizes.Responses));

        void Check(long? value, string name)
        {
            if (value <= 0)
            {
                errors.Add($"{Path}:{name} must be a positive number of bytes.");
            }
            else if (value > options.MaxRequestBodySize && options.MaxRequestBodySize > 0)
            {
                errors.Add($"{Path}:{name} ({value}) is above {Prefix}MaxRequestBodySize ({options.MaxRequestBodySize}), which caps every endpoint: raise that one too.");
            }
        }
    }

    private static void ValidateCors(List<string> errors, GatewayCorsOptions? cors)
    {
        const string Path = Prefix + nameof(LlmGatewayOptions.Cors);
        if (cors?.Origins is not { } origins)
        {
            errors.Add($"{Path} is empty.");
            return;
        }

        for (var i = 0; i < origins.Count; i++)
        {
            if (!IsOrigin(origins[i]))
            {
                errors.Add($"{Path}:Origins:{i} must be an origin such as https://app.example.com (http or https, host and port only: no path, no trailing slash, no default port), or *.");
            }
        }

        // What a browser sends in Origin: scheme, host and a non-default port, nothing else.
        static bool IsOrigin(string? value) =>
            value == "*"
            || (Uri.TryCreate(value, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                && uri.UserInfo.Length == 0
                && string.Equals(uri.GetLeftPart(UriPartial.Authority), value, StringComparison.OrdinalIgnoreCase));
    }

    private static void ValidateCache(List<string> errors, CacheOptions? cache)
    {
        const string Path = Prefix + "Cache";
        if (cache is null)
        {
            errors.Add($"{Path} is empty.");
            return;
        }

        if (cache.Ttl <= TimeSpan.Zero)
        {
            errors.Add($"{Path}:Ttl must be positive.");
        }

        if (cache.MemoryLimitBytes <= 0)
        {
            errors.Add($"{Path}:MemoryLimitBytes must be positive.");
        }

        if (cache.MaxEntryBytes <= 0)
        {
            errors.Add($"{Path}:MaxEntryBytes must be positive.");
        }

        foreach (var (model, settings) in cache.Models)
        {
            if (settings?.Ttl is { } ttl && ttl <= TimeSpan.Zero)
            {
                errors.Add($"{Path}:Models:{model}:Ttl must be positive.");
            }
        }

        var semantic = cache.Semantic;
        if (semantic is null || semantic.Threshold is <= 0 or > 1 || double.IsNaN(semantic.Threshold))
        {
            errors.Add($"{Path}:Semantic:Threshold must be above 0 and at most 1 (a cosine similarity).");
        }

        if (semantic is { MaxEntries: <= 0 })
        {
            errors.Add($"{Path}:Semantic:MaxEntries must be positive.");
        }

        if (cache.Strategy == CacheStrategy.Semantic && string.IsNullOrWhiteSpace(semantic?.EmbeddingModel))
        {
            errors.Add($"{Path}:Semantic:EmbeddingModel is required with Strategy Semantic (an embedding model, as a client would name it).");
        }
    }

    private static void ValidatePolicy(List<string> errors, KeyPolicyOptions? policy, string path)
    {
        if (policy is null)
        {
            return;
        }

        CheckLimit(errors, policy.RequestsPerMinute, $"{path}:RequestsPerMinute");
        CheckLimit(errors, policy.TokensPerMinute, $"{path}:TokensPerMinute");
        foreach (var (model, limit) in policy.ModelLimits)
        {
            CheckLimit(errors, limit?.RequestsPerMinute, $"{path}:ModelLimits:{model}:RequestsPerMinute");
            CheckLimit(errors, limit?.TokensPerMinute, $"{path}:ModelLimits:{model}:TokensPerMinute");
        }

        for (var j = 0; j < policy.AllowedModels.Count; j++)
        {
            if (string.IsNullOrWhiteSpace(policy.AllowedModels[j]))
            {
                errors.Add($"{path}:AllowedModels:{j} is empty.");
            }
        }

        var budget = policy.Budget;
        if (budget is { DailyTokens: <= 0 } or { MonthlyTokens: <= 0 } or { DailyCost: <= 0 } or { MonthlyCost: <= 0 })
        {
            errors.Add($"{path}:Budget: every budget must be positive.");
        }

        if (policy.Strategy is { } strategy && !Enum.IsDefined(strategy))
        {
            errors.Add($"{path}:Strategy must be one of: {string.Join(", ", Enum.GetNames<RateLimitStrategy>())}.");
        }

        static void CheckLimit(List<string> errors, int? value, string key)
        {
            if (value is <= 0)
            {
                errors.Add($"{key} must be positive.");
            }
        }
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

        ValidateHedging(errors, model.Hedging, $"Models:{alias}:Hedging");
    }

    private static void ValidateHedging(List<string> errors, HedgingOptions? hedging, string key)
    {
        if (hedging?.Delay is { } delay && (delay <= TimeSpan.Zero || delay > MaxTimeout))
        {
            errors.Add($"{Prefix}{key}:Delay must be a positive time span of at most 49.17:02:47 (e.g. 00:00:05); set {key}:Enabled to false to turn hedging off.");
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
