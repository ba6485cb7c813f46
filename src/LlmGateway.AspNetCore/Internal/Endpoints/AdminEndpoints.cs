using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The admin API (<c>/admin/…</c>, admin key only, see <see cref="AdminEndpointFilter"/>): gateway keys (create,
/// list, read, change, revoke, rotate) and usage reports. A key's secret is shown once, when it is created or rotated;
/// hashes and provider keys are never shown. Keys from configuration are listed but read-only (409).
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>Admin bodies are a few hundred bytes; nothing near the gateway's limit for model requests.</summary>
    private const long MaxBodySize = 64 * 1024;

    public static void Map(IEndpointRouteBuilder group)
    {
        var admin = group.MapGroup("/admin").WithTags("Admin");
        admin.AddEndpointFilter<AdminEndpointFilter>();
        admin.MapPost("/keys", CreateAsync);
        admin.MapGet("/keys", ListAsync);
        admin.MapGet("/keys/{id}", GetAsync);
        admin.MapPatch("/keys/{id}", UpdateAsync);
        admin.MapDelete("/keys/{id}", RevokeAsync);
        admin.MapPost("/keys/{id}/rotate", RotateAsync);
        admin.MapGet("/keys/{id}/usage", KeyUsageAsync);
        admin.MapGet("/usage", UsageAsync);
        admin.MapPost("/cache/purge", CachePurgeEndpoint.HandleAsync);
        admin.Map("/{**path}", FallbackAsync);
    }

    private static async Task CreateAsync(HttpContext context, IKeyStore store, IProviderKeyProtector protector, ILlmGatewayRuntime runtime, TimeProvider time, ILoggerFactory loggers)
    {
        if (await ReadRequestAsync(context) is not { } request)
        {
            return;
        }

        var (ok, providerKeys) = await TryProtectProviderKeysAsync(context, request, runtime, protector);
        if (!ok)
        {
            return;
        }

        var secret = KeyHashing.NewKey();
        var template = new StoredKey
        {
            Id = KeyHashing.NewId(),
            Hash = KeyHashing.Hash(secret),
            Prefix = KeyHashing.DisplayPrefix(secret),
            CreatedAt = time.GetUtcNow(),
        };
        var key = Copy(template, request, providerKeys);
        await store.SaveAsync(key, previousHash: null, context.RequestAborted);
        Logger(loggers).KeyCreated(key.Id);
        context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path}/{Uri.EscapeDataString(key.Id)}";
        await WriteAsync(context, StatusCodes.Status201Created, AdminKey.From(key, secret), AdminJsonContext.Default.AdminKey);
    }

    private static async Task ListAsync(HttpContext context, KeyRegistry registry, IKeyStore store)
    {
        var stored = await store.ListAsync(context.RequestAborted);
        var keys = new List<AdminKey>(registry.ConfiguredKeys().Count + stored.Count);
        keys.AddRange(registry.ConfiguredKeys().Select(static k => AdminKey.From(k)));
        keys.AddRange(stored.Select(static k => AdminKey.From(k)));
        await WriteAsync(context, StatusCodes.Status200OK, new AdminKeyList { Data = keys }, AdminJsonContext.Default.AdminKeyList);
    }

    private static async Task GetAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store)
    {
        if (await FindAsync(context, id, registry, store) is { } key)
        {
            await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
        }
    }

    private static async Task UpdateAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store, IProviderKeyProtector protector, ILlmGatewayRuntime runtime, TimeProvider time, ILoggerFactory loggers)
    {
        if (await FindChangeableAsync(context, id, registry, store) is not { } existing || await ReadRequestAsync(context) is not { } request)
        {
            return;
        }

        var (ok, providerKeys) = await TryProtectProviderKeysAsync(context, request, runtime, protector);
        if (!ok)
        {
            return;
        }

        var key = Copy(existing, request, providerKeys, updatedAt: time.GetUtcNow());
        await store.SaveAsync(key, existing.Hash, context.RequestAborted);
        Logger(loggers).KeyUpdated(key.Id);
        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task RevokeAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store, TimeProvider time, ILoggerFactory loggers)
    {
        if (await FindAsync(context, id, registry, store) is not { } existing || !await EnsureChangeableAsync(context, existing, allowRevoked: true))
        {
            return;
        }

        var key = existing;
        if (!existing.IsRevoked)
        {
            var now = time.GetUtcNow();
            key = Copy(existing, updatedAt: now, revokedAt: now);
            await store.SaveAsync(key, existing.Hash, context.RequestAborted);
            Logger(loggers).KeyRevoked(key.Id);
        }

        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task RotateAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store, TimeProvider time, ILoggerFactory loggers)
    {
        if (await FindChangeableAsync(context, id, registry, store) is not { } existing)
        {
            return;
        }

        var secret = KeyHashing.NewKey();
        var key = Copy(existing, updatedAt: time.GetUtcNow(), secret: secret);
        await store.SaveAsync(key, existing.Hash, context.RequestAborted);
        Logger(loggers).KeyRotated(key.Id);
        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key, secret), AdminJsonContext.Default.AdminKey);
    }

    private static async Task KeyUsageAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store, IUsageStore usage, TimeProvider time)
    {
        if (await ReadPeriodAsync(context) is { } period && await FindAsync(context, id, registry, store) is { } key)
        {
            await WriteUsageAsync(context, key.Id, period, usage, time);
        }
    }

    private static async Task UsageAsync(HttpContext context, IUsageStore usage, TimeProvider time)
    {
        if (await ReadPeriodAsync(context) is { } period)
        {
            await WriteUsageAsync(context, keyId: null, period, usage, time);
        }
    }

    /// <summary>Any other <c>/admin/…</c> request: 405 with <c>Allow</c> for a known path with another method, else 404.</summary>
    private static Task FallbackAsync(HttpContext context, string? path)
    {
        var segments = (path ?? string.Empty).Split('/');
        var allowed = segments switch
        {
            ["keys"] => "GET, POST",
            ["keys", _] => "GET, PATCH, DELETE",
            ["keys", _, "rotate"] => "POST",
            ["keys", _, "usage"] or ["usage"] => "GET",
            _ => null,
        };
        if (allowed is null)
        {
            return ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({context.Request.Method} {context.Request.Path})."));
        }

        context.Response.Headers.Allow = allowed;
        return ErrorResults.WriteAsync(context, new GatewayError(
            GatewayErrorKind.MethodNotAllowed,
            $"Method {context.Request.Method} is not allowed for {context.Request.Path}; use {allowed}."));
    }

    private static async Task WriteUsageAsync(HttpContext context, string? keyId, UsagePeriod period, IUsageStore usage, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var entries = await usage.ListAsync(keyId, period, now, context.RequestAborted);
        var totals = new AdminUsageTotals();
        var data = new List<AdminUsageEntry>(entries.Count);
        foreach (var entry in entries)
        {
            var total = entry.PromptTokens + entry.CompletionTokens;
            data.Add(new AdminUsageEntry
            {
                KeyId = entry.KeyId,
                Model = entry.Model,
                Provider = entry.Provider,
                Requests = entry.Requests,
                PromptTokens = entry.PromptTokens,
                CompletionTokens = entry.CompletionTokens,
                CachedTokens = entry.CachedTokens,
                ReasoningTokens = entry.ReasoningTokens,
                TotalTokens = total,
                Cost = entry.Cost,
                EstimatedRequests = entry.EstimatedRequests,
            });
            totals.Requests += entry.Requests;
            totals.PromptTokens += entry.PromptTokens;
            totals.CompletionTokens += entry.CompletionTokens;
            totals.CachedTokens += entry.CachedTokens;
            totals.ReasoningTokens += entry.ReasoningTokens;
            totals.TotalTokens += total;
            totals.Cost += entry.Cost;
        }

        var utc = now.UtcDateTime;
        var start = period == UsagePeriod.Day
            ? new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero)
            : new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var report = new AdminUsage
        {
            Period = period == UsagePeriod.Day ? "day" : "month",
            Start = start,
            Totals = totals,
            Data = data,
        };
        await WriteAsync(context, StatusCodes.Status200OK, report, AdminJsonContext.Default.AdminUsage);
    }

    /// <summary><c>?period=day</c> (the default) or <c>month</c>; null once a 400 is written.</summary>
    private static async Task<UsagePeriod?> ReadPeriodAsync(HttpContext context)
    {
        var values = context.Request.Query["period"];
        if (values.Count == 0)
        {
            return UsagePeriod.Day;
        }

        if (values.Count == 1 && string.Equals(values[0], "day", StringComparison.OrdinalIgnoreCase))
        {
            return UsagePeriod.Day;
        }

        if (values.Count == 1 && string.Equals(values[0], "month", StringComparison.OrdinalIgnoreCase))
        {
            return UsagePeriod.Month;
        }

        await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.InvalidRequest, "'period' must be 'day' or 'month'.", "period") { Code = "invalid_value" });
        return null;
    }

    /// <summary>A configured key or a stored one; null once a 404 is written.</summary>
    private static async Task<StoredKey?> FindAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store)
    {
        var key = registry.ConfiguredKeys().FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal))
            ?? await store.GetAsync(id, context.RequestAborted);
        if (key is null)
        {
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.NotFound, $"No key with id '{id}'.", "id") { Code = "key_not_found" });
        }

        return key;
    }

    /// <summary>A stored key that is not revoked; null once a 404 or 409 is written.</summary>
    private static async Task<StoredKey?> FindChangeableAsync(HttpContext context, string id, KeyRegistry registry, IKeyStore store) =>
        await FindAsync(context, id, registry, store) is { } key && await EnsureChangeableAsync(context, key, allowRevoked: false) ? key : null;

    private static async Task<bool> EnsureChangeableAsync(HttpContext context, StoredKey key, bool allowRevoked)
    {
        string? conflict = null;
        if (key.Source == KeyRegistry.ConfigSource)
        {
            conflict = $"The key '{key.Id}' comes from configuration (LlmGateway:Auth:Keys) and cannot be changed through the admin API; change the configuration instead.";
        }
        else if (key.IsRevoked && !allowRevoked)
        {
            conflict = $"The key '{key.Id}' is revoked and cannot be changed; create a new key instead.";
        }

        if (conflict is null)
        {
            return true;
        }

        await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.InvalidRequest, conflict, "id") { StatusCode = StatusCodes.Status409Conflict, Code = "key_read_only" });
        return false;
    }

    /// <summary>The body, read and checked; null once a 4xx is written.</summary>
    private static async Task<AdminKeyRequest?> ReadRequestAsync(HttpContext context)
    {
        var (body, error) = await RequestBodyReader.ReadAsync(context, MaxBodySize);
        if (error is null && AdminKeyRequest.TryRead(body, out var request, out error))
        {
            return request;
        }

        await ErrorResults.WriteAsync(context, error!);
        return null;
    }

    /// <summary>Encrypts the request's provider keys, each for a configured provider instance (by its configured
    /// name); null keys when the request does not set them. False once a 400 is written.</summary>
    private static async Task<(bool Ok, Dictionary<string, string>? Keys)> TryProtectProviderKeysAsync(HttpContext context, AdminKeyRequest request, ILlmGatewayRuntime runtime, IProviderKeyProtector protector)
    {
        if (!request.Has(AdminKeyRequest.ProviderKeysField))
        {
            return (true, null);
        }

        var protectedKeys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (request.ProviderKeys is null)
        {
            return (true, protectedKeys);
        }

        foreach (var (instance, providerKey) in request.ProviderKeys)
        {
            if (runtime.GetProvider(instance) is not { } provider)
            {
                await ErrorResults.WriteAsync(context, new GatewayError(
                    GatewayErrorKind.InvalidRequest,
                    $"'provider_keys' names '{instance}', which is not a configured provider instance (LlmGateway:Providers).",
                    $"{AdminKeyRequest.ProviderKeysField}.{instance}")
                { Code = "invalid_value" });
                return (false, null);
            }

            protectedKeys[provider.Name] = protector.Protect(providerKey);
        }

        return (true, protectedKeys);
    }

    /// <summary>A copy of <paramref name="key"/> with the fields <paramref name="change"/> names, and the other changes
    /// given.</summary>
    private static StoredKey Copy(
        StoredKey key,
        AdminKeyRequest? change = null,
        Dictionary<string, string>? providerKeys = null,
        DateTimeOffset? updatedAt = null,
        DateTimeOffset? revokedAt = null,
        string? secret = null)
    {
        bool Has(string field) => change is not null && change.Has(field);
        return new StoredKey
        {
            Id = key.Id,
            Hash = secret is null ? key.Hash : KeyHashing.Hash(secret),
            Prefix = secret is null ? key.Prefix : KeyHashing.DisplayPrefix(secret),
            Source = key.Source,
            CreatedAt = key.CreatedAt,
            UpdatedAt = updatedAt ?? key.UpdatedAt,
            RevokedAt = revokedAt ?? key.RevokedAt,
            Name = Has(AdminKeyRequest.NameField) ? change!.Name : key.Name,
            ExpiresAt = Has(AdminKeyRequest.ExpiresAtField) ? change!.ExpiresAt : key.ExpiresAt,
            AllowedModels = Has(AdminKeyRequest.AllowedModelsField) ? change!.AllowedModels ?? [] : key.AllowedModels,
            RequestsPerMinute = Has(AdminKeyRequest.RequestsPerMinuteField) ? change!.RequestsPerMinute : key.RequestsPerMinute,
            TokensPerMinute = Has(AdminKeyRequest.TokensPerMinuteField) ? change!.TokensPerMinute : key.TokensPerMinute,
            ModelLimits = Has(AdminKeyRequest.ModelLimitsField)
                ? change!.ModelLimits ?? new Dictionary<string, ModelLimitOptions>(StringComparer.OrdinalIgnoreCase)
                : key.ModelLimits,
            Strategy = Has(AdminKeyRequest.StrategyField) ? change!.Strategy : key.Strategy,
            Budget = Has(AdminKeyRequest.BudgetField) ? change!.Budget ?? new BudgetOptions() : key.Budget,
            ProviderKeys = providerKeys ?? key.ProviderKeys,
        };
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted);
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(AdminEndpoints));
}
