using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>What <see cref="AnthropicRequestTranslator"/> made of an OpenAI chat request: the Messages API body, or why
/// there is none.</summary>
internal sealed record TranslatedRequest(byte[] Body, bool IncludeUsage, GatewayError? Error = null)
{
    public static TranslatedRequest Fail(GatewayError error) => new([], false, error);
}

/// <summary>
/// An OpenAI chat completions request → an Anthropic Messages API request (<c>POST /v1/messages</c>).
/// <list type="bullet">
/// <item><c>system</c> and <c>developer</c> messages → the top-level <c>system</c> text (Anthropic has no system role).</item>
/// <item><c>user</c>/<c>assistant</c> text → <c>messages</c>; consecutive messages of one role become one turn.</item>
/// <item>assistant <c>tool_calls</c> → <c>tool_use</c> blocks; <c>tool</c> messages → <c>tool_result</c> blocks of a user turn.</item>
/// <item><c>max_completion_tokens</c>, else <c>max_tokens</c>, else the instance's <see cref="AnthropicProviderOptions.DefaultMaxTokens"/> → <c>max_tokens</c>
/// (which Anthropic requires); <c>temperature</c>, <c>top_p</c>; <c>stop</c> → <c>stop_sequences</c>.</item>
/// <item><c>tools</c> (functions) → <c>tools</c> with <c>input_schema</c>; <c>tool_choice</c> and
/// <c>parallel_tool_calls: false</c> → <c>tool_choice</c>.</item>
/// </list>
/// What Anthropic cannot do (images and other non-text parts, <c>n</c> above 1, <c>logprobs</c>, a JSON
/// <c>response_format</c>, audio output) is refused with 400 <c>unsupported_operation</c>, so an alias moves on to a
/// target that can; parameters with no Anthropic meaning (<c>seed</c>, penalties, <c>user</c>) are left out.
/// </summary>
internal static class AnthropicRequestTranslator
{
    /// <summary>Translates a request. A value of the wrong JSON type throws <see cref="InvalidOperationException"/>
    /// (from <see cref="JsonElement"/>), which the caller reports as the client's mistake.</summary>
    public static TranslatedRequest Translate(ReadOnlyMemory<byte> openAIBody, string model, bool stream, int defaultMaxTokens)
    {
        using var document = JsonDocument.Parse(openAIBody);
        var root = document.RootElement;
        if (Unsupported(root) is { } unsupported)
        {
            return TranslatedRequest.Fail(unsupported);
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return TranslatedRequest.Fail(new GatewayError(GatewayErrorKind.MissingParameter, "The request has no 'messages' array.", "messages"));
        }

        var turns = new List<Turn>();
        var system = new List<string>();
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.GetProperty("role").GetString();
            switch (role)
            {
                case "system" or "developer":
                    system.AddRange(TextParts(message, out _));
                    break;
                case "user":
                    var texts = TextParts(message, out var refusal);
                    if (refusal is not null)
                    {
                        return TranslatedRequest.Fail(refusal);
                    }

                    AddBlocks(turns, "user", texts.Select(static t => Block.Text(t)));
                    break;
                case "assistant":
                    var blocks = new List<Block>();
                    blocks.AddRange(TextParts(message, out _).Where(static t => t.Length > 0).Select(static t => Block.Text(t)));
                    if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray())
                        {
                            var function = call.GetProperty("function");
                            var arguments = function.TryGetProperty("arguments", out var a) ? a.GetString() : null;
                            blocks.Add(Block.ToolUse(call.GetProperty("id").GetString()!, function.GetProperty("name").GetString()!, string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments));
                        }
                    }

                    AddBlocks(turns, "assistant", blocks);
                    break;
                case "tool":
                    var result = string.Join("\n", TextParts(message, out _));
                    AddBlocks(turns, "user", [Block.ToolResult(message.GetProperty("tool_call_id").GetString()!, result)]);
                    break;
                default:
                    return TranslatedRequest.Fail(new GatewayError(GatewayErrorKind.InvalidValue, $"The message role '{role}' is not one an Anthropic model takes.", "messages"));
            }
        }

        if (turns.Count == 0)
        {
            return TranslatedRequest.Fail(new GatewayError(GatewayErrorKind.InvalidRequest, "An Anthropic model needs at least one user or assistant message besides the system prompt.", "messages"));
        }

        var buffer = new ArrayBufferWriter<byte>(openAIBody.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteNumber("max_tokens"u8, MaxTokens(root, defaultMaxTokens));
            if (system.Count > 0)
            {
                writer.WriteString("system"u8, string.Join("\n\n", system));
            }

            writer.WriteStartArray("messages"u8);
            foreach (var turn in turns)
            {
                turn.Write(writer);
            }

            writer.WriteEndArray();
            CopyNumber(root, "temperature", writer, "temperature"u8);
            CopyNumber(root, "top_p", writer, "top_p"u8);
            WriteStopSequences(root, writer);
            WriteTools(root, writer);
            if (stream)
            {
                writer.WriteBoolean("stream"u8, true);
            }

            writer.WriteEndObject();
        }

        var includeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        return new TranslatedRequest(buffer.WrittenSpan.ToArray(), includeUsage);
    }

    private static GatewayError? Unsupported(JsonElement root)
    {
        if (root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt32() > 1)
        {
            return Refuse("n above 1 (several choices)", "n");
        }

        if (root.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.True)
        {
            return Refuse("logprobs", "logprobs");
        }

        if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out var type) && type.GetString() != "text")
        {
            return Refuse($"response_format '{type.GetString()}'", "response_format");
        }

        if (root.TryGetProperty("modalities", out var modalities) && modalities.ValueKind == JsonValueKind.Array
            && modalities.EnumerateArray().Any(static m => m.GetString() != "text"))
        {
            return Refuse("output modalities other than text", "modalities");
        }

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
            && tools.EnumerateArray().Any(static t => !t.TryGetProperty("type", out var kind) || kind.GetString() != "function"))
        {
            return Refuse("tools other than functions", "tools");
        }

        return null;
    }

    private static GatewayError Refuse(string what, string param) =>
        new(GatewayErrorKind.UnsupportedOperation, $"The Anthropic provider does not support {what}.", param);

    /// <summary>The texts of a message's <c>content</c>: a string, or the <c>text</c> parts of an array. Any other part
    /// (an image, audio, a file) sets <paramref name="refusal"/>.</summary>
    private static List<string> TextParts(JsonElement message, out GatewayError? refusal)
    {
        refusal = null;
        var texts = new List<string>();
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return texts;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            texts.Add(content.GetString()!);
            return texts;
        }

        foreach (var part in content.EnumerateArray())
        {
            var type = part.GetProperty("type").GetString();
            if (type == "text")
            {
                texts.Add(part.GetProperty("text").GetString()!);
            }
            else
            {
                refusal ??= Refuse($"'{type}' content parts (text only)", "messages");
            }
        }

        return texts;
    }

    private static void AddBlocks(List<Turn> turns, string role, IEnumerable<Block> blocks)
    {
        if (turns.Count == 0 || turns[^1].Role != role)
        {
            turns.Add(new Turn(role));
        }

        turns[^1].Blocks.AddRange(blocks);
    }

    private static int MaxTokens(JsonElement root, int defaultMaxTokens) =>
        root.TryGetProperty("max_completion_tokens", out var completion) && completion.ValueKind == JsonValueKind.Number ? completion.GetInt32()
        : root.TryGetProperty("max_tokens", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32()
        : defaultMaxTokens;

    private static void CopyNumber(JsonElement root, string name, Utf8JsonWriter writer, ReadOnlySpan<byte> anthropicName)
    {
        if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            writer.WriteNumber(anthropicName, value.GetDouble());
        }
    }

    private static void WriteStopSequences(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        writer.WriteStartArray("stop_sequences"u8);
        if (stop.ValueKind == JsonValueKind.String)
        {
            writer.WriteStringValue(stop.GetString());
        }
        else
        {
            foreach (var sequence in stop.EnumerateArray())
            {
                writer.WriteStringValue(sequence.GetString());
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteTools(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return;
        }

        writer.WriteStartArray("tools"u8);
        foreach (var tool in tools.EnumerateArray())
        {
            var function = tool.GetProperty("function");
            writer.WriteStartObject();
            writer.WriteString("name"u8, function.GetProperty("name").GetString());
            if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
            {
                writer.WriteString("description"u8, description.GetString());
            }

            writer.WritePropertyName("input_schema"u8);
            if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            {
                parameters.WriteTo(writer);
            }
            else
            {
                writer.WriteRawValue("""{"type":"object","properties":{}}"""u8);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        var parallel = !(root.TryGetProperty("parallel_tool_calls", out var p) && p.ValueKind == JsonValueKind.False);
        string type;
        string? name = null;
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            type = "auto";
        }
        else if (choice.ValueKind == JsonValueKind.String)
        {
            type = choice.GetString() switch
            {
                "none" => "none",
                "required" => "any",
                _ => "auto",
            };
        }
        else
        {
            type = "tool";
            name = choice.GetProperty("function").GetProperty("name").GetString();
        }

        if (type == "auto" && parallel && choice.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return; // Anthropic's default
        }

        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, type);
        if (name is not null)
        {
            writer.WriteString("name"u8, name);
        }

        if (!parallel && type != "none")
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        writer.WriteEndObject();
    }

    private sealed class Turn(string role)
    {
        public string Role { get; } = role;

        public List<Block> Blocks { get; } = [];

        public void Write(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, Role);
            if (Blocks is [{ Kind: BlockKind.Text } only])
            {
                writer.WriteString("content"u8, only.Value);
            }
            else
            {
                writer.WriteStartArray("content"u8);
                foreach (var block in Blocks)
                {
                    block.Write(writer);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }
    }

    private enum BlockKind
    {
        Text,
        ToolUse,
        ToolResult,
    }

    /// <summary>One content block: text; a tool call (<see cref="Id"/>, <see cref="Name"/>, its arguments JSON in
    /// <see cref="Value"/>); or a tool result (<see cref="Id"/> of the call, its text in <see cref="Value"/>).</summary>
    private sealed record Block(BlockKind Kind, string Value, string? Id = null, string? Name = null)
    {
        public static Block Text(string text) => new(BlockKind.Text, text);

        public static Block ToolUse(string id, string name, string arguments) => new(BlockKind.ToolUse, arguments, id, name);

        public static Block ToolResult(string toolUseId, string content) => new(BlockKind.ToolResult, content, toolUseId);

        public void Write(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            switch (Kind)
            {
                case BlockKind.Text:
                    writer.WriteString("type"u8, "text"u8);
                    writer.WriteString("text"u8, Value);
                    break;
                case BlockKind.ToolUse:
                    writer.WriteString("type"u8, "tool_use"u8);
                    writer.WriteString("id"u8, Id);
                    writer.WriteString("name"u8, Name);
                    writer.WritePropertyName("input"u8);
                    using (var input = JsonDocument.Parse(Value))
                    {
                        input.RootElement.WriteTo(writer);
                    }

                    break;
                case BlockKind.ToolResult:
                    writer.WriteString("type"u8, "tool_result"u8);
                    writer.WriteString("tool_use_id"u8, Id);
                    writer.WriteString("content"u8, Value);
                    break;
            }

            writer.WriteEndObject();
        }
    }
}
