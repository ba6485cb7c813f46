using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.StandInUpstream.Gemini;
using LlmGateway.StandInUpstream.OpenAI;

// An OpenAI-compatible stand-in upstream: it answers chat completions (streaming or not) by echoing the last user
// message, embeddings with small deterministic vectors (float or base64), and a model list. It is not an LLM; it
// speaks OpenAI's documented wire format so the gateway and its clients can be tried without a provider key.
// The Responses API and audio are in OpenAI/OpenAIExtras.cs.
// It is also a stand-in for the Gemini API v1beta under /v1beta (see Gemini/GeminiStandIn.cs and docs/gemini-wire-format.md).
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://localhost:5081");
var app = builder.Build();

// One line per request with a fingerprint of the key it carried (never the key): shows which key a gateway sent,
// e.g. the caller's own in the gateway's Client and Hybrid modes.
app.Use(async (context, next) =>
{
    var presented = context.Request.Headers.Authorization.ToString() is { Length: > 7 } bearer ? bearer[7..] : context.Request.Headers["x-goog-api-key"].ToString();
    var fingerprint = presented.Length == 0 ? "none" : "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented)))[..12];
    Console.WriteLine($"{context.Request.Method} {context.Request.Path} key={fingerprint}");
    await next(context);
});

app.MapGet("/v1/models", () => Results.Json(new
{
    @object = "list",
    data = new[]
    {
        new { id = "echo-1", @object = "model", created = 1700000000, owned_by = "stand-in" },
        new { id = "gpt-4o-mini", @object = "model", created = 1721172741, owned_by = "stand-in" },
        new { id = "text-embedding-3-small", @object = "model", created = 1705948997, owned_by = "stand-in" },
    },
}));

app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    var request = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
    var model = request?["model"]?.GetValue<string>() ?? "echo-1";
    var last = request?["messages"]?.AsArray().LastOrDefault(m => m?["role"]?.GetValue<string>() == "user")?["content"];
    var text = "Echo: " + (last is JsonValue value && value.TryGetValue<string>(out var s) ? s : last?.ToJsonString() ?? string.Empty);
    var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..12];
    var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    var usage = new { prompt_tokens = 8, completion_tokens = text.Split(' ').Length, total_tokens = 8 + text.Split(' ').Length };

    if (request?["stream"]?.GetValue<bool>() != true)
    {
        return Results.Json(new
        {
            id,
            @object = "chat.completion",
            created,
            model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
            usage,
        });
    }

    context.Response.ContentType = "text/event-stream";
    async Task Send(object chunk)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n");
        await context.Response.Body.FlushAsync();
    }

    await Send(new { id, @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = (object)new { role = "assistant", content = "" }, finish_reason = (string?)null } } });
    foreach (var word in text.Split(' '))
    {
        await Send(new { id, @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = (object)new { content = word + " " }, finish_reason = (string?)null } } });
    }

    await Send(new { id, @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = (object)new { }, finish_reason = (string?)"stop" } } });
    if (request?["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
    {
        await Send(new { id, @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage });
    }

    await context.Response.WriteAsync("data: [DONE]\n\n");
    return Results.Empty;
});

app.MapPost("/v1/embeddings", async (HttpContext context) =>
{
    var request = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
    var input = request?["input"];
    var inputs = input is JsonArray array ? array.Select(i => i?.ToJsonString() ?? string.Empty).ToList() : [input?.ToJsonString() ?? string.Empty];
    var base64 = request?["encoding_format"]?.GetValue<string>() == "base64";
    var data = inputs.Select((text, index) =>
    {
        var vector = new[] { text.Length / 100f, index + 0.5f, -0.25f };
        object embedding = base64 ? Convert.ToBase64String(vector.SelectMany(BitConverter.GetBytes).ToArray()) : vector;
        return new { @object = "embedding", index, embedding };
    });
    return Results.Json(new { @object = "list", data, model = request?["model"]?.GetValue<string>(), usage = new { prompt_tokens = inputs.Count, total_tokens = inputs.Count } });
});

app.MapOpenAIExtras();
app.MapGemini();

app.Run();
