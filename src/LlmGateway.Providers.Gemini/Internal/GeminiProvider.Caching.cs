using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>The <c>cachedContents</c> API of a Gemini instance, behind <see cref="GeminiContextCaches"/>.</summary>
internal sealed partial class GeminiProvider
{
    internal async Task<GeminiCachedContent> CreateCacheAsync(ReadOnlyMemory<byte> chatRequest, TimeSpan ttl, string? displayName, CancellationToken cancellationToken)
    {
        var model = ModelOf(chatRequest);
        var translated = ChatRequestTranslator.Translate(chatRequest, model);
        if (translated.Error is { } error)
        {
            throw new LlmGatewayException(error);
        }

        using var document = JsonDocument.Parse(translated.Body);
        var buffer = new ArrayBufferWriter<byte>(translated.Body.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", "models/" + model);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name is "contents" or "systemInstruction" or "tools" or "toolConfig")
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteString("ttl", Duration(ttl));
            if (displayName is not null)
            {
                writer.WriteString("displayName", displayName);
            }

            writer.WriteEndObject();
        }

        return await CacheCallAsync(HttpMethod.Post, $"{_baseUrl}/cachedContents", buffer.WrittenSpan.ToArray(), cancellationToken);
    }

    internal async Task<IReadOnlyList<GeminiCachedContent>> ListCachesAsync(CancellationToken cancellationToken)
    {
        var caches = new List<GeminiCachedContent>();
        string? pageToken = null;
        for (var page = 0; page < 20; page++)
        {
            var uri = $"{_baseUrl}/cachedContents?pageSize=1000{(pageToken is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(pageToken))}";
            using var document = await SendCacheRequestAsync(HttpMethod.Get, uri, null, cancellationToken);
            if (document.RootElement.TryGetProperty("cachedContents", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                caches.AddRange(items.EnumerateArray().Select(Parse));
            }

            pageToken = document.RootElement.TryGetProperty("nextPageToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (string.IsNullOrEmpty(pageToken))
            {
                break;
            }
        }

        return caches;
    }

    internal Task<GeminiCachedContent> CacheRequestAsync(HttpMethod method, string name, string? query, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var uri = $"{_baseUrl}/{CacheName(name)}{(query is null ? string.Empty : "?" + query)}";
        var body = ttl is { } value ? JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["ttl"] = Duration(value) }, GeminiJsonContext.Default.DictionaryStringString) : null;
        return CacheCallAsync(method, uri, body, cancellationToken);
    }

    internal async Task DeleteCacheAsync(string name, CancellationToken cancellationToken)
    {
        using var _ = await SendCacheRequestAsync(HttpMethod.Delete, $"{_baseUrl}/{CacheName(name)}", null, cancellationToken);
    }

    private async Task<GeminiCachedContent> CacheCallAsync(HttpMethod method, string uri, byte[]? body, CancellationToken cancellationToken)
    {
        using var document = await SendCacheRequestAsync(method, uri, body, cancellationToken);
        return Parse(document.RootElement);
    }

    private async Task<JsonDocument> SendCacheRequestAsync(HttpMethod method, string uri, byte[]? body, CancellationToken cancellationToken)
    {
        if (_notConfigured is { } notConfigured)
        {
            throw new LlmGatewayException(notConfigured);
        }

        using var message = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = s_json;
        }

        message.Headers.TryAddWithoutValidation("x-goog-api-key", _options.ApiKey);
        using var response = await _http.SendAsync(message, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await UpstreamRequests.ReadErrorBodyAsync(response.Content, cancellationToken);
            throw new LlmGatewayException(GeminiErrors.FromResponse(Name, (int)response.StatusCode, error, response.Headers.RetryAfter, callerKey: false, _logger));
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
    }

    private static GeminiCachedContent Parse(JsonElement item)
    {
        string? Text(string property) => item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var model = Text("model");
        var expire = Text("expireTime") is { } time && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : (DateTimeOffset?)null;
        int? tokens = item.TryGetProperty("usageMetadata", out var usage) && usage.TryGetProperty("totalTokenCount", out var count) && count.TryGetInt32(out var n) ? n : null;
        return new GeminiCachedContent(
            Text("name") ?? string.Empty,
            model is not null && model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model,
            Text("displayName"),
            expire,
            tokens);
    }

    /// <summary>The <c>model</c> of a chat request to cache; a body that is not a JSON object naming one is refused.</summary>
    private static string ModelOf(ReadOnlyMemory<byte> chatRequest)
    {
        try
        {
            using var document = JsonDocument.Parse(chatRequest);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new LlmGatewayException(new GatewayError(GatewayErrorKind.InvalidRequest, "The request body must be a JSON object."));
            }

            return document.RootElement.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String && model.GetString() is { Length: > 0 } id
                ? id
                : throw new LlmGatewayException(new GatewayError(GatewayErrorKind.MissingParameter, "You must provide a model parameter.", "model"));
        }
        catch (JsonException ex)
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.InvalidJson, $"The request body is not valid JSON: {ex.Message}"), ex);
        }
    }

    internal static string CacheName(string name) => name.StartsWith("cachedContents/", StringComparison.Ordinal) ? name : "cachedContents/" + name;

    /// <summary>A protobuf Duration in JSON: seconds with an <c>s</c> suffix.</summary>
    private static string Duration(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
