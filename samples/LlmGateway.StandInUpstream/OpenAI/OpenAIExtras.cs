using System.Text;
using System.Text.Json.Nodes;

namespace LlmGateway.StandInUpstream.OpenAI;

/// <summary>
/// The rest of the OpenAI surface the stand-in fakes: the Responses API (create, streaming or not, get, delete,
/// cancel; a function call when tools are given and the input has no function output yet), audio transcription and
/// translation (multipart in, the file's name and size echoed), and speech (a few bytes streamed in two pieces).
/// </summary>
internal static class OpenAIExtras
{
    private static readonly Dictionary<string, JsonObject> s_responses = [];
    private static readonly Lock s_gate = new();

    public static void MapOpenAIExtras(this WebApplication app)
    {
        app.MapPost("/v1/responses", (Delegate)CreateResponseAsync);
        app.MapGet("/v1/responses/{id}", (string id) => Stored(id) is { } r ? Results.Json(r) : NotFound(id));
        app.MapDelete("/v1/responses/{id}", (string id) =>
        {
            lock (s_gate)
            {
                return s_responses.Remove(id) ? Results.Json(new { id, @object = "response.deleted", deleted = true }) : NotFound(id);
            }
        });
        app.MapPost("/v1/responses/{id}/cancel", (string id) => Stored(id) is { } r ? Results.Json(r) : NotFound(id));
        app.MapPost("/v1/audio/transcriptions", TranscribeAsync);
        app.MapPost("/v1/audio/translations", TranscribeAsync);
        app.MapPost("/v1/audio/speech", async (HttpContext context) =>
        {
            context.Response.ContentType = "audio/mpeg";
            await context.Response.Body.WriteAsync("ID3\u0003stand-in"u8.ToArray());
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(new byte[] { 0xFF, 0xFB, 0x90, 0x44 });
        });
    }

    private static async Task<IResult> CreateResponseAsync(HttpContext context)
    {
        var request = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        var model = request["model"]?.GetValue<string>() ?? "gpt-4o-mini";
        var id = "resp_" + Guid.NewGuid().ToString("N")[..16];
        var input = request["input"];
        var lastText = input is JsonValue v ? v.GetValue<string>() : LastUserText(input as JsonArray);
        var hasOutput = input is JsonArray items && items.Any(i => i?["type"]?.GetValue<string>() == "function_call_output");
        var tool = (request["tools"] as JsonArray)?.FirstOrDefault()?["name"]?.GetValue<string>();
        JsonObject item = tool is not null && !hasOutput
            ? new() { ["type"] = "function_call", ["id"] = "fc_" + id[5..], ["call_id"] = "call_" + id[5..], ["name"] = tool, ["arguments"] = "{\"query\":\"test\"}", ["status"] = "completed" }
            : new()
            {
                ["type"] = "message",
                ["id"] = "msg_" + id[5..],
                ["status"] = "completed",
                ["role"] = "assistant",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = "Echo: " + lastText, ["annotations"] = new JsonArray() }),
            };
        var response = new JsonObject
        {
            ["id"] = id,
            ["object"] = "response",
            ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["status"] = "completed",
            ["model"] = model,
            ["output"] = new JsonArray(item),
            ["error"] = null,
            ["incomplete_details"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = 8, ["output_tokens"] = 5, ["total_tokens"] = 13 },
        };
        if (request["store"]?.GetValue<bool>() != false)
        {
            lock (s_gate)
            {
                s_responses[id] = (JsonObject)response.DeepClone();
            }
        }

        if (request["stream"]?.GetValue<bool>() != true)
        {
            return Results.Json(response);
        }

        context.Response.ContentType = "text/event-stream";
        var sequence = 0;
        async Task Send(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            await context.Response.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n");
            await context.Response.Body.FlushAsync();
        }

        var started = (JsonObject)response.DeepClone();
        started["status"] = "in_progress";
        started["output"] = new JsonArray();
        await Send("response.created", new() { ["response"] = started.DeepClone() });
        await Send("response.in_progress", new() { ["response"] = started });
        var pending = (JsonObject)item.DeepClone();
        pending["status"] = "in_progress";
        if (item["type"]!.GetValue<string>() == "function_call")
        {
            pending["arguments"] = string.Empty;
            await Send("response.output_item.added", new() { ["output_index"] = 0, ["item"] = pending });
            foreach (var piece in new[] { "{\"query\":", "\"test\"}" })
            {
                await Send("response.function_call_arguments.delta", new() { ["item_id"] = item["id"]!.GetValue<string>(), ["output_index"] = 0, ["delta"] = piece });
            }

            await Send("response.function_call_arguments.done", new() { ["item_id"] = item["id"]!.GetValue<string>(), ["output_index"] = 0, ["arguments"] = item["arguments"]!.GetValue<string>() });
        }
        else
        {
            pending["content"] = new JsonArray();
            await Send("response.output_item.added", new() { ["output_index"] = 0, ["item"] = pending });
            var text = item["content"]![0]!["text"]!.GetValue<string>();
            foreach (var word in text.Split(' '))
            {
                await Send("response.output_text.delta", new() { ["item_id"] = item["id"]!.GetValue<string>(), ["output_index"] = 0, ["content_index"] = 0, ["delta"] = word + " " });
            }
        }

        await Send("response.output_item.done", new() { ["output_index"] = 0, ["item"] = item.DeepClone() });
        await Send("response.completed", new() { ["response"] = response });
        return Results.Empty;
    }

    private static async Task<IResult> TranscribeAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var file = form.Files["file"];
        if (file is null || string.IsNullOrEmpty(form["model"]))
        {
            return Results.Json(new { error = new { message = "file and model are required", type = "invalid_request_error", param = file is null ? "file" : "model", code = (string?)null } }, statusCode: 400);
        }

        var text = $"Transcribed {file.FileName} ({file.Length} bytes) with {form["model"]}";
        return form["response_format"] == "text" ? Results.Text(text, "text/plain", Encoding.UTF8) : Results.Json(new { text });
    }

    private static string LastUserText(JsonArray? items)
    {
        var content = items?.LastOrDefault(i => i?["role"]?.GetValue<string>() == "user")?["content"];
        return content switch
        {
            JsonValue value => value.GetValue<string>(),
            JsonArray parts => string.Join(" ", parts.Select(p => p?["text"]?.GetValue<string>()).Where(t => t is not null)),
            _ => string.Empty,
        };
    }

    private static JsonObject? Stored(string id)
    {
        lock (s_gate)
        {
            return s_responses.TryGetValue(id, out var response) ? response : null;
        }
    }

    private static IResult NotFound(string id) =>
        Results.Json(new { error = new { message = $"Response with id '{id}' not found.", type = "invalid_request_error", param = (string?)null, code = (string?)null } }, statusCode: 404);
}
