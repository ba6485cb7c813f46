using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// <c>POST /admin/cache/purge</c> (admin key only): removes cached responses everywhere (memory of every instance,
/// Redis) matching all the criteria given — <c>model</c> (the upstream model that answered), <c>provider</c> (the
/// instance), <c>key_prefix</c> (of the cache key, e.g. <c>v1:team-a:</c> for one caller's entries),
/// <c>older_than_seconds</c> — or everything for <c>{}</c>. Answers <c>{"object":"cache.purge","purged":n}</c>.
/// </summary>
internal static class CachePurgeEndpoint
{
    public static async Task HandleAsync(HttpContext context, ILlmGatewayCache cache)
    {
        var (body, readError) = await RequestBodyReader.ReadAsync(context, 16 * 1024);
        if (readError is not null)
        {
            await ErrorResults.WriteAsync(context, readError);
            return;
        }

        var (purge, error) = Parse(body);
        if (error is not null)
        {
            await ErrorResults.WriteAsync(context, error);
            return;
        }

        var purged = await cache.PurgeAsync(purge!, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "cache.purge"u8);
            writer.WriteNumber("purged"u8, purged);
            writer.WriteEndObject();
        }
    }

    internal static (CachePurgeFilter? Purge, GatewayError? Error) Parse(ReadOnlySpan<byte> body)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (new CachePurgeFilter(), null);
        }

        if (!LlmGatewayJson.TryParseRequestBody(body.ToArray(), out var document, out var error))
        {
            return (null, error);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, new GatewayError(GatewayErrorKind.InvalidRequest, "The request body must be a JSON object."));
            }

            string? model = null, provider = null, prefix = null;
            TimeSpan? olderThan = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "model" or "provider" or "key_prefix":
                        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
                        {
                            return (null, new GatewayError(GatewayErrorKind.InvalidParameterType, $"'{property.Name}' must be a non-empty string.", property.Name));
                        }

                        (model, provider, prefix) = property.Name switch
                        {
                            "model" => (text, provider, prefix),
                            "provider" => (model, text, prefix),
                            _ => (model, provider, text),
                        };
                        break;
                    case "older_than_seconds":
                        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var seconds) || seconds < 0)
                        {
                            return (null, new GatewayError(GatewayErrorKind.InvalidParameterType, "'older_than_seconds' must be a non-negative whole number.", property.Name));
                        }

                        olderThan = TimeSpan.FromSeconds(seconds);
                        break;
                    default:
                        return (null, new GatewayError(GatewayErrorKind.InvalidRequest, $"Unknown parameter: '{property.Name}'. Known: model, provider, key_prefix, older_than_seconds.", property.Name));
                }
            }

            return (new CachePurgeFilter { Model = model, Provider = provider, KeyPrefix = prefix, OlderThan = olderThan }, null);
        }
    }
}
