using System.Text.Json;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The body of <c>POST /admin/keys</c> and <c>PATCH /admin/keys/{id}</c>: every field optional, a field present as
/// <c>null</c> clears it (a PATCH changes only the fields it names). Read by hand from a <see cref="JsonDocument"/>
/// rather than bound, so that an unknown field, a wrong type and a bad value each get an error naming the field (its
/// path, <c>budget.daily_tokens</c>), and "absent" stays distinct from "null".
/// </summary>
internal sealed class AdminKeyRequest
{
    public const string NameField = "name";
    public const string AllowedModelsField = "allowed_models";
    public const string RequestsPerMinuteField = "requests_per_minute";
    public const string TokensPerMinuteField = "tokens_per_minute";
    public const string ModelLimitsField = "model_limits";
    public const string StrategyField = "strategy";
    public const string BudgetField = "budget";
    public const string ExpiresAtField = "expires_at";
    public const string ProviderKeysField = "provider_keys";

    private static readonly string[] s_fields = [NameField, AllowedModelsField, RequestsPerMinuteField, TokensPerMinuteField, ModelLimitsField, StrategyField, BudgetField, ExpiresAtField, ProviderKeysField];
    private static readonly string[] s_limitFields = [RequestsPerMinuteField, TokensPerMinuteField];
    private static readonly string[] s_budgetFields = ["daily_tokens", "monthly_tokens", "daily_cost", "monthly_cost"];

    private readonly HashSet<string> _present = new(StringComparer.Ordinal);

    public string? Name { get; private set; }

    public List<string>? AllowedModels { get; private set; }

    public int? RequestsPerMinute { get; private set; }

    public int? TokensPerMinute { get; private set; }

    public Dictionary<string, ModelLimitOptions>? ModelLimits { get; private set; }

    public RateLimitStrategy? Strategy { get; private set; }

    public BudgetOptions? Budget { get; private set; }

    public DateTimeOffset? ExpiresAt { get; private set; }

    /// <summary>The plain provider keys by instance name, as sent (encrypted before they are stored).</summary>
    public Dictionary<string, string>? ProviderKeys { get; private set; }

    /// <summary>The settings the body names (a field present as <c>null</c> is set to null), for
    /// <see cref="GatewayKeyAdministration"/>.</summary>
    public GatewayKeySettings ToSettings()
    {
        var settings = new GatewayKeySettings();
        if (Has(NameField))
        {
            settings.Name = Name;
        }

        if (Has(ExpiresAtField))
        {
            settings.ExpiresAt = ExpiresAt;
        }

        if (Has(AllowedModelsField))
        {
            settings.AllowedModels = AllowedModels;
        }

        if (Has(RequestsPerMinuteField))
        {
            settings.RequestsPerMinute = RequestsPerMinute;
        }

        if (Has(TokensPerMinuteField))
        {
            settings.TokensPerMinute = TokensPerMinute;
        }

        if (Has(ModelLimitsField))
        {
            settings.ModelLimits = ModelLimits;
        }

        if (Has(StrategyField))
        {
            settings.Strategy = Strategy;
        }

        if (Has(BudgetField))
        {
            settings.Budget = Budget;
        }

        if (Has(ProviderKeysField))
        {
            settings.ProviderKeys = ProviderKeys;
        }

        return settings;
    }

    /// <summary>Whether the body names the field (with a value or <c>null</c>).</summary>
    public bool Has(string field) => _present.Contains(field);

    /// <summary>Reads a body; an empty body is an empty object (a key with no limits, a PATCH that changes nothing).</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, out AdminKeyRequest request, out GatewayError? error)
    {
        request = new AdminKeyRequest();
        error = null;
        if (body.IsEmpty)
        {
            return true;
        }

        // UTF-8, nesting and duplicate members checked: a field named twice is refused rather than one of them read.
        if (!LlmGatewayJson.TryParseRequestBody(body, out var document, out error))
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new GatewayError(GatewayErrorKind.InvalidRequest, "The request body must be a JSON object.");
                return false;
            }

            error = request.Read(root);
            return error is null;
        }
    }

    private GatewayError? Read(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            var field = property.Name;
            var error = field switch
            {
                NameField => ReadName(value),
                AllowedModelsField => ReadAllowedModels(value),
                RequestsPerMinuteField => ReadPositiveInt(value, field, out var requests) ?? Set(() => RequestsPerMinute = requests),
                TokensPerMinuteField => ReadPositiveInt(value, field, out var tokens) ?? Set(() => TokensPerMinute = tokens),
                ModelLimitsField => ReadModelLimits(value),
                StrategyField => ReadStrategy(value),
                BudgetField => ReadBudget(value),
                ExpiresAtField => ReadExpiresAt(value),
                ProviderKeysField => ReadProviderKeys(value),
                _ => Unknown(field, s_fields),
            };
            if (error is not null)
            {
                return error;
            }

            _present.Add(field);
        }

        return null;
    }

    private static GatewayError? Set(Action assign)
    {
        assign();
        return null;
    }

    private GatewayError? ReadName(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                Name = null;
                return null;
            case JsonValueKind.String when value.GetString() is { } name && !string.IsNullOrWhiteSpace(name) && name.Length <= 256:
                Name = name;
                return null;
            case JsonValueKind.String:
                return Invalid(NameField, "'name' must be a non-empty string of at most 256 characters.");
            default:
                return WrongType(NameField, "a string");
        }
    }

    private GatewayError? ReadAllowedModels(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            AllowedModels = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return WrongType(AllowedModelsField, "an array of model names");
        }

        var models = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                return WrongType(AllowedModelsField, "an array of non-empty model names");
            }

            models.Add(item.GetString()!);
        }

        AllowedModels = models;
        return null;
    }

    private GatewayError? ReadModelLimits(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            ModelLimits = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return WrongType(ModelLimitsField, "an object of limits by model name");
        }

        var limits = new Dictionary<string, ModelLimitOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in value.EnumerateObject())
        {
            var path = $"{ModelLimitsField}.{model.Name}";
            if (string.IsNullOrWhiteSpace(model.Name))
            {
                return Invalid(ModelLimitsField, "'model_limits' names an empty model.");
            }

            if (model.Value.ValueKind != JsonValueKind.Object)
            {
                return WrongType(path, "an object with requests_per_minute and/or tokens_per_minute");
            }

            var limit = new ModelLimitOptions();
            foreach (var setting in model.Value.EnumerateObject())
            {
                var settingPath = $"{path}.{setting.Name}";
                var error = setting.Name switch
                {
                    RequestsPerMinuteField => ReadPositiveInt(setting.Value, settingPath, out var requests) ?? Set(() => limit.RequestsPerMinute = requests),
                    TokensPerMinuteField => ReadPositiveInt(setting.Value, settingPath, out var tokens) ?? Set(() => limit.TokensPerMinute = tokens),
                    _ => Unknown(settingPath, s_limitFields),
                };
                if (error is not null)
                {
                    return error;
                }
            }

            limits[model.Name] = limit;
        }

        ModelLimits = limits;
        return null;
    }

    private GatewayError? ReadStrategy(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            Strategy = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return WrongType(StrategyField, "a string (FixedWindow, SlidingWindow or TokenBucket)");
        }

        var text = value.GetString();
        if (string.IsNullOrEmpty(text) || !char.IsAsciiLetter(text[0]) || !Enum.TryParse<RateLimitStrategy>(text, ignoreCase: true, out var strategy))
        {
            return Invalid(StrategyField, $"'strategy' must be FixedWindow, SlidingWindow or TokenBucket, not '{text}'.");
        }

        Strategy = strategy;
        return null;
    }

    private GatewayError? ReadBudget(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            Budget = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return WrongType(BudgetField, "an object with daily_tokens, monthly_tokens, daily_cost and/or monthly_cost");
        }

        var budget = new BudgetOptions();
        foreach (var setting in value.EnumerateObject())
        {
            var path = $"{BudgetField}.{setting.Name}";
            var error = setting.Name switch
            {
                "daily_tokens" => ReadPositiveLong(setting.Value, path, out var daily) ?? Set(() => budget.DailyTokens = daily),
                "monthly_tokens" => ReadPositiveLong(setting.Value, path, out var monthly) ?? Set(() => budget.MonthlyTokens = monthly),
                "daily_cost" => ReadPositiveDecimal(setting.Value, path, out var dailyCost) ?? Set(() => budget.DailyCost = dailyCost),
                "monthly_cost" => ReadPositiveDecimal(setting.Value, path, out var monthlyCost) ?? Set(() => budget.MonthlyCost = monthlyCost),
                _ => Unknown(path, s_budgetFields),
            };
            if (error is not null)
            {
                return error;
            }
        }

        Budget = budget;
        return null;
    }

    private GatewayError? ReadExpiresAt(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            ExpiresAt = null;
            return null;
        }

        const string Expected = "an ISO 8601 date and time (2026-12-31T23:59:59Z)";
        if (value.ValueKind != JsonValueKind.String)
        {
            return WrongType(ExpiresAtField, Expected);
        }

        if (!value.TryGetDateTimeOffset(out var expiresAt) || !value.TryGetDateTime(out var local))
        {
            return Invalid(ExpiresAtField, $"'expires_at' must be {Expected}.");
        }

        // Without an offset the time is read as UTC, never as the server's local time.
        ExpiresAt = local.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(local, TimeSpan.Zero) : expiresAt.ToUniversalTime();
        return null;
    }

    private GatewayError? ReadProviderKeys(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            ProviderKeys = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return WrongType(ProviderKeysField, "an object of provider keys by provider instance name");
        }

        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var instance in value.EnumerateObject())
        {
            if (instance.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(instance.Value.GetString()))
            {
                return WrongType($"{ProviderKeysField}.{instance.Name}", "a non-empty string (the provider key)");
            }

            keys[instance.Name] = instance.Value.GetString()!;
        }

        ProviderKeys = keys;
        return null;
    }

    private static GatewayError? ReadPositiveInt(JsonElement value, string path, out int? result)
    {
        result = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetInt32(out var number) && number > 0:
                result = number;
                return null;
            case JsonValueKind.Number:
                return Invalid(path, $"'{path}' must be a positive integer (at most {int.MaxValue}).");
            default:
                return WrongType(path, "a positive integer");
        }
    }

    private static GatewayError? ReadPositiveLong(JsonElement value, string path, out long? result)
    {
        result = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetInt64(out var number) && number > 0:
                result = number;
                return null;
            case JsonValueKind.Number:
                return Invalid(path, $"'{path}' must be a positive integer.");
            default:
                return WrongType(path, "a positive integer");
        }
    }

    private static GatewayError? ReadPositiveDecimal(JsonElement value, string path, out decimal? result)
    {
        result = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetDecimal(out var number) && number > 0:
                result = number;
                return null;
            case JsonValueKind.Number:
                return Invalid(path, $"'{path}' must be a positive amount in US dollars.");
            default:
                return WrongType(path, "a positive number (US dollars)");
        }
    }

    private static GatewayError Unknown(string path, string[] known) =>
        new(GatewayErrorKind.InvalidRequest, $"Unknown field '{path}'. Known fields: {string.Join(", ", known)}.", path) { Code = "unknown_parameter" };

    private static GatewayError WrongType(string path, string expected) =>
        new(GatewayErrorKind.InvalidParameterType, $"'{path}' must be {expected}.", path);

    private static GatewayError Invalid(string path, string message) =>
        new(GatewayErrorKind.InvalidRequest, message, path) { Code = "invalid_value" };
}
