using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The admin API (<c>/admin/…</c>, admin key only, see <see cref="AdminEndpointFilter"/>): gateway keys (create,
/// list, read, change, revoke, rotate) and usage reports. A key's secret is shown once, when it is created or rotated;
/// hashes and provider keys are never shown. Keys from configuration are listed but read-only (409).
/// </summary>
/// <remarks>The key endpoints map HTTP onto <see cref="GatewayKeyAdministration"/>, which applies the rules and logs the
/// changes; its refusals (<see cref="LlmGatewayException"/>) are answered by <see cref="AdminEndpointFilter"/>.</remarks>
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

    private static async Task CreateAsync(HttpContext context, GatewayKeyAdministration keys)
    {
        if (await ReadRequestAsync(context) is not { } request)
        {
            return;
        }

        var created = await keys.CreateAsync(request.ToSettings(), context.RequestAborted);
        context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path}/{Uri.EscapeDataString(created.Record.Id)}";
        await WriteAsync(context, StatusCodes.Status201Created, AdminKey.From(created.Record, created.Key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task ListAsync(HttpContext context, GatewayKeyAdministration keys)
    {
        var all = await keys.ListAsync(context.RequestAborted);
        await WriteAsync(context, StatusCodes.Status200OK, new AdminKeyList { Data = [.. all.Select(static k => AdminKey.From(k))] }, AdminJsonContext.Default.AdminKeyList);
    }

    private static async Task GetAsync(HttpContext context, string id, GatewayKeyAdministration keys)
    {
        if (await FindAsync(context, id, keys) is { } key)
        {
            await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
        }
    }

    private static async Task UpdateAsync(HttpContext context, string id, GatewayKeyAdministration keys)
    {
        // The body is read first but its error (if any) is raised only once the key is found and changeable, so an
        // unknown or read-only key is 404 or 409 whatever the body.
        var (request, error) = await TryReadRequestAsync(context);
        var key = await keys.UpdateAsync(id, _ => request?.ToSettings() ?? throw new LlmGatewayException(error!), context.RequestAborted);
        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task RevokeAsync(HttpContext context, string id, GatewayKeyAdministration keys)
    {
        var key = await keys.RevokeAsync(id, context.RequestAborted);
        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task RotateAsync(HttpContext context, string id, GatewayKeyAdministration keys)
    {
        var rotated = await keys.RotateAsync(id, context.RequestAborted);
        await WriteAsync(context, StatusCodes.Status200OK, AdminKey.From(rotated.Record, rotated.Key), AdminJsonContext.Default.AdminKey);
    }

    private static async Task KeyUsageAsync(HttpContext context, string id, GatewayKeyAdministration keys, IUsageStore usage, TimeProvider time)
    {
        if (await ReadPeriodAsync(context) is { } period && await FindAsync(context, id, keys) is { } key)
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
    private static async Task<StoredKey?> FindAsync(HttpContext context, string id, GatewayKeyAdministration keys)
    {
        var key = await keys.GetAsync(id, context.RequestAborted);
        if (key is null)
        {
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.NotFound, $"No key with id '{id}'.", "id") { Code = "key_not_found" });
        }

        return key;
    }

    /// <summary>The body, read and checked; null once a 4xx is written.</summary>
    private static async Task<AdminKeyRequest?> ReadRequestAsync(HttpContext context)
    {
        var (request, error) = await TryReadRequestAsync(context);
        if (request is null)
        {
            await ErrorResults.WriteAsync(context, error!);
        }

        return request;
    }

    /// <summary>The body, read and checked, or the error to answer with.</summary>
    private static async Task<(AdminKeyRequest? Request, GatewayError? Error)> TryReadRequestAsync(HttpContext context)
    {
        var (body, error) = await RequestBodyReader.ReadAsync(context, MaxBodySize);
        return error is null && AdminKeyRequest.TryRead(body, out var request, out error) ? (request, null) : (null, error);
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted);
    }
}
