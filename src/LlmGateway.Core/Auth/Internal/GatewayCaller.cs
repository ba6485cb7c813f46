namespace LlmGateway.Internal;

/// <summary>
/// Who a request comes from, once authenticated: a gateway key (configured or created through the admin API), the
/// shared <c>client</c> policy of callers that bring their own provider key, or <c>anonymous</c> in mode None. Its
/// <see cref="Key"/> carries the policy; its <see cref="Id"/> is what usage is counted under.
/// </summary>
internal sealed class GatewayCaller(StoredKey key)
{
    /// <summary>The caller of mode None: every model, no limits.</summary>
    public static readonly GatewayCaller Anonymous = new(new StoredKey { Id = "anonymous", Hash = string.Empty, Source = "none" });

    /// <summary>The usage id of in-process calls, which carry no caller.</summary>
    public const string InProcessId = "in-process";

    public StoredKey Key { get; } = key;

    public string Id => Key.Id;

    /// <summary>Whether the policy can refuse anything; when false the pipeline skips the policy checks entirely.</summary>
    public bool HasPolicy { get; } = key.AllowedModels.Count > 0 || key.RequestsPerMinute is not null || key.TokensPerMinute is not null
        || key.ModelLimits.Count > 0 || key.Budget is { DailyTokens: not null } or { MonthlyTokens: not null } or { DailyCost: not null } or { MonthlyCost: not null };

    /// <summary>Whether the caller may use <paramref name="model"/>, the model as the client named it.</summary>
    public bool MayUse(string model)
    {
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
    public (string Pattern, ModelLimitOptions Limits)? ModelLimit(string model) => FindByPattern(Key.ModelLimits, model);

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
}
