namespace LlmGateway;

/// <summary>
/// Who a call comes from: the identity its usage, rate limits and budgets are counted under, and the policy (models,
/// limits, budgets) applied to it.
/// </summary>
/// <remarks>
/// <para>The gateway makes callers itself for gateway keys (configured or created through the admin API), for the shared
/// <c>client</c> policy of Client mode and for <see cref="Anonymous"/> in mode None. An application makes its own with
/// <see cref="GatewayCaller(string, KeyPolicyOptions?)"/>: for a tenant or user its own authentication recognised (a
/// <see cref="System.Security.Claims.ClaimsPrincipal"/> mapped by <c>LlmGateway.AspNetCore</c>), or for in-process code
/// that should be limited and billed as a named caller (<see cref="ILlmGateway.GetChatClient(string?, GatewayCaller?)"/>,
/// <see cref="GatewayRequest.Caller"/>).</para>
/// <para>Ids share one namespace with gateway key ids: a caller with the id of a key shares that key's rate limits and
/// usage. Prefix application ids (<c>tenant:acme</c>) to keep them apart. A caller is immutable and thread-safe.</para>
/// </remarks>
public sealed class GatewayCaller
{
    /// <summary>The usage id of in-process calls, which carry no caller.</summary>
    internal const string InProcessId = "in-process";

    /// <summary>The <see cref="StoredKey.Source"/> of callers the application made.</summary>
    internal const string ApplicationSource = "application";

    /// <summary>Initializes a new instance of the <see cref="GatewayCaller"/> class: a caller of the application's own,
    /// counted under <paramref name="id"/>.</summary>
    /// <param name="id">The id usage, rate limits and budgets are counted under, e.g. a tenant id.</param>
    /// <param name="policy">The models the caller may use, its rate limits and budgets; copied, so later changes to it
    /// do not apply. Null: every model, no limits.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is empty or white space.</exception>
    public GatewayCaller(string id, KeyPolicyOptions? policy = null)
        : this(FromPolicy(id, policy))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayCaller"/> class for a stored gateway key.</summary>
    /// <param name="key">The key, whose id and policy the caller takes; not copied, so it must not change.</param>
    internal GatewayCaller(StoredKey key)
    {
        Key = key;
        HasPolicy = key.AllowedModels.Count > 0 || key.RequestsPerMinute is not null || key.TokensPerMinute is not null
            || key.ModelLimits.Count > 0 || key.Budget is { DailyTokens: not null } or { MonthlyTokens: not null } or { DailyCost: not null } or { MonthlyCost: not null };
    }

    /// <summary>Gets the caller of <see cref="GatewayAuthMode.None"/>, counted as <c>anonymous</c>: every model, no
    /// limits.</summary>
    public static GatewayCaller Anonymous { get; } = new(new StoredKey { Id = "anonymous", Hash = string.Empty, Source = "none" });

    /// <summary>Gets the id usage, rate limits and budgets are counted under: a key's id, or the id the application
    /// gave.</summary>
    public string Id => Key.Id;

    /// <summary>Gets the key or policy the caller carries.</summary>
    internal StoredKey Key { get; }

    /// <summary>Gets a value indicating whether the policy can refuse anything; when false the pipeline skips the policy
    /// checks entirely.</summary>
    internal bool HasPolicy { get; }

    /// <summary>Gets a copy of the caller's policy: the models it may use, its rate limits and budgets. Changing the copy
    /// does not change the caller.</summary>
    /// <returns>A new <see cref="KeyPolicyOptions"/> with the caller's policy.</returns>
    public KeyPolicyOptions GetPolicy()
    {
        var key = Key;
        return new KeyPolicyOptions
        {
            AllowedModels = [.. key.AllowedModels],
            RequestsPerMinute = key.RequestsPerMinute,
            TokensPerMinute = key.TokensPerMinute,
            ModelLimits = CopyLimits(key.ModelLimits),
            Strategy = key.Strategy,
            Budget = CopyBudget(key.Budget),
        };
    }

    /// <summary>Gets a value indicating whether the caller may use a model.</summary>
    /// <param name="model">The model as the client names it (an alias, <c>provider/model</c> or a bare id).</param>
    /// <returns>True when the policy allows every model or one of its allowed models matches.</returns>
    public bool MayUse(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var allowed = Key.AllowedModels;
        if (allowed.Count == 0)
        {
            return true;
        }

        foreach (var pattern in allowed)
        {
            if (Matches(pattern, model))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The model limit that applies to <paramref name="model"/>: an exact name first, else the longest
    /// matching prefix pattern; the pattern is returned too, since it names the bucket its models share.</summary>
    internal (string Pattern, ModelLimitOptions Limits)? ModelLimit(string model) => FindByPattern(Key.ModelLimits, model);

    /// <summary>
    /// The entry of a map keyed by model names that applies to <paramref name="model"/>: the exact name (the map's own
    /// comparer decides the case), else the longest pattern ending in <c>*</c> that is a prefix of it; null when none.
    /// </summary>
    internal static (string Pattern, T Value)? FindByPattern<T>(Dictionary<string, T> map, string model)
    {
        if (map.Count == 0)
        {
            return null;
        }

        if (map.TryGetValue(model, out var exact))
        {
            return (model, exact);
        }

        (string, T)? best = null;
        var bestLength = -1;
        foreach (var (pattern, value) in map)
        {
            if (pattern.EndsWith('*') && pattern.Length - 1 > bestLength && Matches(pattern, model))
            {
                best = (pattern, value);
                bestLength = pattern.Length - 1;
            }
        }

        return best;
    }

    internal static bool Matches(string pattern, string model) =>
        pattern.EndsWith('*')
            ? model.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, model, StringComparison.OrdinalIgnoreCase);

    private static StoredKey FromPolicy(string id, KeyPolicyOptions? policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return new StoredKey
        {
            Id = id,
            Hash = string.Empty,
            Source = ApplicationSource,
            AllowedModels = policy is null ? [] : [.. policy.AllowedModels],
            RequestsPerMinute = policy?.RequestsPerMinute,
            TokensPerMinute = policy?.TokensPerMinute,
            ModelLimits = policy is null ? new(StringComparer.OrdinalIgnoreCase) : CopyLimits(policy.ModelLimits),
            Strategy = policy?.Strategy,
            Budget = policy is null ? new() : CopyBudget(policy.Budget),
        };
    }

    private static Dictionary<string, ModelLimitOptions> CopyLimits(Dictionary<string, ModelLimitOptions> limits)
    {
        var copy = new Dictionary<string, ModelLimitOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (pattern, limit) in limits)
        {
            copy[pattern] = new ModelLimitOptions { RequestsPerMinute = limit.RequestsPerMinute, TokensPerMinute = limit.TokensPerMinute };
        }

        return copy;
    }

    private static BudgetOptions CopyBudget(BudgetOptions budget) => new()
    {
        DailyTokens = budget.DailyTokens,
        MonthlyTokens = budget.MonthlyTokens,
        DailyCost = budget.DailyCost,
        MonthlyCost = budget.MonthlyCost,
    };
}
