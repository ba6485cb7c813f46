namespace LlmGateway;

/// <summary>
/// The settings of a gateway key to create, or the changes to make to one (see <see cref="GatewayKeyAdministration"/>).
/// Only the properties that are set apply: a key being changed keeps every other setting, and setting a property to
/// null clears it (no name, no expiry, any model, no limits, no budget, no provider keys).
/// </summary>
public sealed class GatewayKeySettings
{
    private Fields _set;
    private string? _name;
    private DateTimeOffset? _expiresAt;
    private IReadOnlyList<string>? _allowedModels;
    private int? _requestsPerMinute;
    private int? _tokensPerMinute;
    private IReadOnlyDictionary<string, ModelLimitOptions>? _modelLimits;
    private RateLimitStrategy? _strategy;
    private BudgetOptions? _budget;
    private IReadOnlyDictionary<string, string>? _providerKeys;

    [Flags]
    private enum Fields
    {
        None = 0,
        Name = 1,
        ExpiresAt = 2,
        AllowedModels = 4,
        RequestsPerMinute = 8,
        TokensPerMinute = 16,
        ModelLimits = 32,
        Strategy = 64,
        Budget = 128,
        ProviderKeys = 256,
    }

    /// <summary>Gets or sets the display name.</summary>
    public string? Name
    {
        get => _name;
        set => Set(ref _name, value, Fields.Name);
    }

    /// <summary>Gets or sets when the key stops working.</summary>
    public DateTimeOffset? ExpiresAt
    {
        get => _expiresAt;
        set => Set(ref _expiresAt, value, Fields.ExpiresAt);
    }

    /// <summary>Gets or sets the models the key may call (patterns as in configuration); null or empty: any.</summary>
    public IReadOnlyList<string>? AllowedModels
    {
        get => _allowedModels;
        set => Set(ref _allowedModels, value, Fields.AllowedModels);
    }

    /// <summary>Gets or sets the requests per minute.</summary>
    public int? RequestsPerMinute
    {
        get => _requestsPerMinute;
        set => Set(ref _requestsPerMinute, value, Fields.RequestsPerMinute);
    }

    /// <summary>Gets or sets the tokens per minute.</summary>
    public int? TokensPerMinute
    {
        get => _tokensPerMinute;
        set => Set(ref _tokensPerMinute, value, Fields.TokensPerMinute);
    }

    /// <summary>Gets or sets the limits per model (model names or patterns).</summary>
    public IReadOnlyDictionary<string, ModelLimitOptions>? ModelLimits
    {
        get => _modelLimits;
        set => Set(ref _modelLimits, value, Fields.ModelLimits);
    }

    /// <summary>Gets or sets the rate-limit strategy; null: the configured default.</summary>
    public RateLimitStrategy? Strategy
    {
        get => _strategy;
        set => Set(ref _strategy, value, Fields.Strategy);
    }

    /// <summary>Gets or sets the budget.</summary>
    public BudgetOptions? Budget
    {
        get => _budget;
        set => Set(ref _budget, value, Fields.Budget);
    }

    /// <summary>Gets or sets the provider keys (plain) by provider instance name, used instead of the instance's
    /// configured key for this key's calls. They are encrypted by the <see cref="IProviderKeyProtector"/> before they
    /// are stored; setting them replaces all of the key's provider keys.</summary>
    public IReadOnlyDictionary<string, string>? ProviderKeys
    {
        get => _providerKeys;
        set => Set(ref _providerKeys, value, Fields.ProviderKeys);
    }

    /// <summary>A copy of <paramref name="key"/> with the settings that are set applied, and the other changes given.</summary>
    internal StoredKey ApplyTo(StoredKey key, Dictionary<string, string>? protectedProviderKeys, DateTimeOffset? updatedAt) =>
        Copy(key, this, protectedProviderKeys, updatedAt, revokedAt: null, hash: null, prefix: null);

    internal static StoredKey Copy(
        StoredKey key,
        GatewayKeySettings? change,
        Dictionary<string, string>? protectedProviderKeys,
        DateTimeOffset? updatedAt,
        DateTimeOffset? revokedAt,
        string? hash,
        string? prefix)
    {
        bool Has(Fields field) => change is not null && (change._set & field) != 0;
        return new StoredKey
        {
            Id = key.Id,
            Hash = hash ?? key.Hash,
            Prefix = hash is null ? key.Prefix : prefix,
            Source = key.Source,
            CreatedAt = key.CreatedAt,
            UpdatedAt = updatedAt ?? key.UpdatedAt,
            RevokedAt = revokedAt ?? key.RevokedAt,
            Name = Has(Fields.Name) ? change!.Name : key.Name,
            ExpiresAt = Has(Fields.ExpiresAt) ? change!.ExpiresAt : key.ExpiresAt,
            AllowedModels = Has(Fields.AllowedModels) ? [.. change!.AllowedModels ?? []] : key.AllowedModels,
            RequestsPerMinute = Has(Fields.RequestsPerMinute) ? change!.RequestsPerMinute : key.RequestsPerMinute,
            TokensPerMinute = Has(Fields.TokensPerMinute) ? change!.TokensPerMinute : key.TokensPerMinute,
            ModelLimits = Has(Fields.ModelLimits)
                ? new Dictionary<string, ModelLimitOptions>(change!.ModelLimits ?? new Dictionary<string, ModelLimitOptions>(), StringComparer.OrdinalIgnoreCase)
                : key.ModelLimits,
            Strategy = Has(Fields.Strategy) ? change!.Strategy : key.Strategy,
            Budget = Has(Fields.Budget) ? change!.Budget ?? new BudgetOptions() : key.Budget,
            ProviderKeys = protectedProviderKeys ?? key.ProviderKeys,
        };
    }

    /// <summary>Whether <see cref="ProviderKeys"/> is set (to keys or to null).</summary>
    internal bool HasProviderKeys => (_set & Fields.ProviderKeys) != 0;

    private void Set<T>(ref T field, T value, Fields flag)
    {
        field = value;
        _set |= flag;
    }
}
