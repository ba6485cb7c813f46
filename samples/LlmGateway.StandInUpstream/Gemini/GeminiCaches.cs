using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>One cached content: the resource as created (input-only fields included) and its bookkeeping.</summary>
internal sealed class GeminiCachedContent
{
    public required string Name { get; init; }

    public required string Model { get; init; }

    public required JsonObject Resource { get; init; }

    public required DateTimeOffset CreateTime { get; init; }

    public DateTimeOffset UpdateTime { get; set; }

    public DateTimeOffset ExpireTime { get; set; }

    public int TotalTokenCount { get; init; }

    /// <summary>
    /// The output form (https://ai.google.dev/api/caching#CachedContent): contents, systemInstruction, tools and
    /// toolConfig are input only and not returned; expireTime "is always provided on output"; ttl is input only.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["name"] = Name, ["model"] = Model };
        if (StringField(Resource, "displayName") is { } displayName)
        {
            json["displayName"] = displayName;
        }

        json["createTime"] = Timestamp(CreateTime);
        json["updateTime"] = Timestamp(UpdateTime);
        json["expireTime"] = Timestamp(ExpireTime);
        json["usageMetadata"] = new JsonObject { ["totalTokenCount"] = TotalTokenCount };
        return json;
    }

    /// <summary>google.protobuf.Timestamp in JSON: RFC 3339, UTC, "Z".</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// The in-memory <c>cachedContents</c> collection (https://ai.google.dev/api/caching; CacheService in
/// googleapis/googleapis google/ai/generativelanguage/v1beta/cache_service.proto). The TTL defaults to one hour
/// (https://ai.google.dev/gemini-api/docs/caching). The documented minimum cache size (1,024–4,096 tokens depending on
/// the model and the page revision; the API answers "Cached content is too small. total_token_count=…,
/// min_total_token_count=…") is deliberately not enforced, so small test caches work.
/// </summary>
internal sealed class GeminiCaches(TimeProvider time)
{
    private static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, GeminiCachedContent> _entries = new(StringComparer.Ordinal);

    public GeminiCachedContent Create(JsonObject body)
    {
        GeminiShapes.Check(body, "CachedContent");
        var modelName = StringField(body, "model");
        if (string.IsNullOrEmpty(modelName))
        {
            // "Required. Immutable." (CachedContent.model); the wording is the stand-in's.
            throw GeminiException.InvalidArgument("* CreateCachedContentRequest.cached_content.model: model is required\n");
        }

        // The field's format is models/{model}; a bare id is accepted too (the docs do not say whether Gemini does).
        var id = modelName.StartsWith("models/", StringComparison.Ordinal) ? modelName["models/".Length..] : modelName;
        var model = GeminiModels.Resolve(id, "createCachedContent");
        if (model.IsTts || !model.Methods.Contains("createCachedContent"))
        {
            throw GeminiException.NotFound(
                $"models/{id} is not found for API version v1beta, or is not supported for createCachedContent. Call ListModels to see the list of available models and their supported methods.");
        }

        var now = time.GetUtcNow();
        var tokens = new GeminiTokens();
        tokens.AddContents(Objects(Field(body, "contents")));
        tokens.AddContent(Field(body, "systemInstruction"));
        tokens.Add("TEXT", GeminiTokens.OfText(Compact(Field(body, "tools"))));
        var entry = new GeminiCachedContent
        {
            Name = "cachedContents/" + Guid.NewGuid().ToString("N")[..12],
            Model = "models/" + model.Id,
            Resource = (JsonObject)body.DeepClone(),
            CreateTime = now,
            UpdateTime = now,
            ExpireTime = Expiry(body, now) ?? now + DefaultTtl,
            TotalTokenCount = Math.Max(1, tokens.Total),
        };
        _entries[entry.Name] = entry;
        return entry;
    }

    /// <summary>
    /// An unexpired cache by name (<c>cachedContents/{id}</c>, or the bare id). A missing one is answered 403
    /// "CachedContent not found (or permission denied)", as Gemini is recalled to answer it; the docs do not show this
    /// error.
    /// </summary>
    public GeminiCachedContent Get(string name)
    {
        var key = name.StartsWith("cachedContents/", StringComparison.Ordinal) ? name : "cachedContents/" + name;
        if (_entries.TryGetValue(key, out var entry) && entry.ExpireTime > time.GetUtcNow())
        {
            return entry;
        }

        _entries.TryRemove(key, out _);
        throw GeminiException.PermissionDenied("CachedContent not found (or permission denied)");
    }

    /// <summary>ListCachedContents: pageSize up to 1000 (above is coerced), opaque pageToken, nextPageToken while more remain.</summary>
    public JsonObject List(int? pageSize, string? pageToken)
    {
        var now = time.GetUtcNow();
        foreach (var expired in _entries.Values.Where(e => e.ExpireTime <= now).ToList())
        {
            _entries.TryRemove(expired.Name, out _);
        }

        var all = _entries.Values.OrderBy(e => e.CreateTime).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        return GeminiPaging.Page(all.Select(e => e.ToJson()).ToList(), "cachedContents", pageSize, pageToken, defaultSize: 50);
    }

    /// <summary>UpdateCachedContent: "only expiration is updatable" (ttl or expireTime), named in the updateMask query parameter.</summary>
    public GeminiCachedContent Update(string name, JsonObject body, string? updateMask)
    {
        GeminiShapes.Check(body, "CachedContent");
        var entry = Get(name);
        var masked = (updateMask ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var notUpdatable = masked.FirstOrDefault(m => m is not ("ttl" or "expireTime" or "expire_time"));
        if (notUpdatable is not null)
        {
            // The wording is the stand-in's; the rule is the RPC comment "only expiration is updatable".
            throw GeminiException.InvalidArgument($"* UpdateCachedContentRequest.update_mask: field {notUpdatable} is not updatable; only expiration (ttl or expire_time) is.\n");
        }

        var now = time.GetUtcNow();
        entry.ExpireTime = Expiry(body, now)
            ?? throw GeminiException.InvalidArgument("* UpdateCachedContentRequest.cached_content: ttl or expire_time must be set\n");
        entry.UpdateTime = now;
        return entry;
    }

    public void Delete(string name)
    {
        var entry = Get(name);
        _entries.TryRemove(entry.Name, out _);
    }

    /// <summary>expiration is a oneof of expireTime (a Timestamp) and ttl (a Duration such as "300s").</summary>
    private static DateTimeOffset? Expiry(JsonObject body, DateTimeOffset now)
    {
        var ttl = StringField(body, "ttl");
        var expireTime = StringField(body, "expireTime");
        if (ttl is not null && expireTime is not null)
        {
            throw GeminiException.InvalidArgument("* CachedContent.expiration: only one of ttl and expire_time may be set\n");
        }

        if (ttl is not null)
        {
            var seconds = double.Parse(ttl.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture);
            return now + TimeSpan.FromSeconds(seconds);
        }

        return expireTime is null ? null : DateTimeOffset.Parse(expireTime, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
    }
}

/// <summary>List paging as Google's List methods do it: pageSize, an opaque pageToken, nextPageToken omitted on the last page.</summary>
internal static class GeminiPaging
{
    public static JsonObject Page(List<JsonObject> items, string field, int? pageSize, string? pageToken, int defaultSize)
    {
        var size = pageSize is null or <= 0 ? defaultSize : Math.Min(pageSize.Value, 1000);
        var offset = 0;
        if (!string.IsNullOrEmpty(pageToken)
            && !(GeminiShapes.TryBase64(pageToken, out var bytes) && int.TryParse(System.Text.Encoding.UTF8.GetString(bytes), NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            // The docs do not show the rejection of a bad token; the wording is the stand-in's.
            throw GeminiException.InvalidArgument("Invalid page token.");
        }

        var page = items.Skip(offset).Take(size).ToList();
        var result = new JsonObject();
        if (page.Count > 0)
        {
            // Empty repeated fields are omitted in proto3 JSON, so an empty list is answered "{}".
            result[field] = new JsonArray([.. page]);
        }

        if (offset + size < items.Count)
        {
            result["nextPageToken"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes((offset + size).ToString(CultureInfo.InvariantCulture)));
        }

        return result;
    }
}
