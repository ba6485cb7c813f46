using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// A stand-in for the Gemini API v1beta over REST (https://ai.google.dev/api), so the gateway's Gemini provider can be
/// tried without a Google key: BaseUrl <c>http://localhost:5081/v1beta</c>, any non-empty <c>x-goog-api-key</c>.
/// docs/gemini-wire-format.md describes the shapes it follows and where they come from.
/// </summary>
internal static class GeminiStandIn
{
    public static WebApplication MapGemini(this WebApplication app)
    {
        var caches = new GeminiCaches(TimeProvider.System);
        app.MapMethods("/v1beta/{**path}", ["GET", "POST", "PATCH", "DELETE"], context => DispatchAsync(context, caches));
        return app;
    }

    private static async Task DispatchAsync(HttpContext http, GeminiCaches caches)
    {
        try
        {
            RequireKey(http);
            var path = http.Request.RouteValues["path"] as string ?? string.Empty;
            var method = http.Request.Method;
            var query = http.Request.Query;
            if (path == "models" && HttpMethods.IsGet(method))
            {
                var models = GeminiModels.All.Select(m => m.ToJson()).ToList();
                await GeminiHttp.WriteJsonAsync(http, 200, GeminiPaging.Page(models, "models", PageSize(query), query["pageToken"], defaultSize: 50));
                return;
            }

            if (path.StartsWith("models/", StringComparison.Ordinal))
            {
                await ModelAsync(http, path["models/".Length..], caches);
                return;
            }

            if (path == "cachedContents")
            {
                if (HttpMethods.IsGet(method))
                {
                    await GeminiHttp.WriteJsonAsync(http, 200, caches.List(PageSize(query), query["pageToken"]));
                    return;
                }

                if (HttpMethods.IsPost(method))
                {
                    await GeminiHttp.WriteJsonAsync(http, 200, caches.Create(await ReadBodyAsync(http)).ToJson());
                    return;
                }
            }

            if (path.StartsWith("cachedContents/", StringComparison.Ordinal) && !path.Contains(':', StringComparison.Ordinal))
            {
                if (HttpMethods.IsGet(method))
                {
                    await GeminiHttp.WriteJsonAsync(http, 200, caches.Get(path).ToJson());
                    return;
                }

                if (HttpMethods.IsPatch(method))
                {
                    var updated = caches.Update(path, await ReadBodyAsync(http), query["updateMask"]);
                    await GeminiHttp.WriteJsonAsync(http, 200, updated.ToJson());
                    return;
                }

                if (HttpMethods.IsDelete(method))
                {
                    caches.Delete(path);
                    await GeminiHttp.WriteJsonAsync(http, 200, new JsonObject()); // google.protobuf.Empty
                    return;
                }
            }

            throw NoSuchMethod(http);
        }
        catch (GeminiException error) when (!http.Response.HasStarted)
        {
            await GeminiHttp.WriteJsonAsync(http, error.Code, error.ToJson());
        }
        catch (Exception error) when (!http.Response.HasStarted && error is not OperationCanceledException)
        {
            // A stand-in bug still answers in Gemini's shape, with the cause in the message.
            await GeminiHttp.WriteJsonAsync(http, 500, new GeminiException("The stand-in failed: " + error.Message, error).ToJson());
        }
    }

    private static async Task ModelAsync(HttpContext http, string rest, GeminiCaches caches)
    {
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            if (!HttpMethods.IsGet(http.Request.Method))
            {
                throw NoSuchMethod(http);
            }

            // models.get (https://ai.google.dev/api/models#method:-models.get). The 404 wording is the stand-in's.
            var model = GeminiModels.Find(rest) ?? throw GeminiException.NotFound($"models/{rest} is not found for API version v1beta.");
            await GeminiHttp.WriteJsonAsync(http, 200, model.ToJson());
            return;
        }

        var id = rest[..colon];
        var method = rest[(colon + 1)..];
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            throw NoSuchMethod(http);
        }

        switch (method)
        {
            case "generateContent":
            case "streamGenerateContent":
                var chatModel = GeminiModels.Resolve(id, method);
                await GeminiGeneration.AnswerAsync(http, chatModel, await ReadBodyAsync(http), caches, stream: method == "streamGenerateContent");
                return;
            case "embedContent":
                var embedModel = GeminiModels.Resolve(id, method);
                await GeminiHttp.WriteJsonAsync(http, 200, GeminiEmbeddings.Embed(embedModel, await ReadBodyAsync(http)));
                return;
            case "batchEmbedContents":
                var batchModel = GeminiModels.Resolve(id, method);
                await GeminiHttp.WriteJsonAsync(http, 200, GeminiEmbeddings.BatchEmbed(batchModel, await ReadBodyAsync(http)));
                return;
            default:
                throw NoSuchMethod(http);
        }
    }

    /// <summary>
    /// "All requests to the Gemini API must include an x-goog-api-key header with your API key"
    /// (https://ai.google.dev/api). Without a key Gemini answers 403 PERMISSION_DENIED with this message (quoted in
    /// https://github.com/googleapis/js-genai/issues/898; the troubleshooting page lists 403 PERMISSION_DENIED for key
    /// problems). The <c>?key=</c> query parameter is also accepted, as Gemini accepts it; it is not needed.
    /// </summary>
    private static void RequireKey(HttpContext http)
    {
        if (string.IsNullOrWhiteSpace(http.Request.Headers["x-goog-api-key"]) && string.IsNullOrWhiteSpace(http.Request.Query["key"]))
        {
            throw GeminiException.PermissionDenied(
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
        }
    }

    /// <summary>
    /// The request body as a JSON object. The rejections are Google's parser's ("Invalid JSON payload received. …" and
    /// "Root element must be a message."), as reported from the field; the docs show neither. An empty body reads as {}.
    /// </summary>
    private static async Task<JsonObject> ReadBodyAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw GeminiException.InvalidArgument("Invalid JSON payload received. Unexpected token.");
        }

        return body as JsonObject
            ?? throw GeminiException.InvalidArgument("Invalid JSON payload received. Unknown name \"\": Root element must be a message.");
    }

    private static int? PageSize(IQueryCollection query) =>
        int.TryParse(query["pageSize"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) ? size : null;

    /// <summary>
    /// An unknown path or method. Google's front end answers these with an HTML 404 page; the stand-in keeps the JSON
    /// error shape so a client's error handling is exercised the same way.
    /// </summary>
    private static GeminiException NoSuchMethod(HttpContext http) =>
        GeminiException.NotFound($"The requested URL {http.Request.Path} was not found on this server ({http.Request.Method}).");
}

/// <summary>How responses are written: JSON bodies indented by two spaces (as Gemini sends them), stream events compact.</summary>
internal static class GeminiHttp
{
    public static JsonSerializerOptions Compact { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonSerializerOptions Indented { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public static async Task WriteJsonAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        await http.Response.WriteAsync(body.ToJsonString(Indented) + "\n", http.RequestAborted);
    }
}
