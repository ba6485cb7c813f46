using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Translates an OpenAI chat completions request into a Gemini <c>generateContent</c> request, writing the Gemini
/// JSON directly. Every parameter is mapped, dropped where dropping changes nothing a user relies on, or refused with a
/// 400 naming it (the parameter table in docs/gemini.md is the specification).
/// </summary>
internal static class ChatRequestTranslator
{
    /// <summary>Gemini's documented sentinel for a function call whose thought signature the client did not keep.</summary>
    internal const string SkipSignature = "skip_thought_signature_validator";

    // Accepted and deliberately not sent: they change nothing the answer depends on (bookkeeping or hints).
    private static readonly HashSet<string> s_dropped = new(StringComparer.Ordinal)
    {
        "model", "stream", "user", "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key",
        "prediction", "verbosity", "fallbacks",
    };

    public static TranslatedChatRequest Translate(ReadOnlyMemory<byte> body, string model)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var state = new State(model);
        var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (WriteContents(writer, root, state) is { } messagesError)
            {
                return new TranslatedChatRequest(messagesError);
            }

            if (WriteTools(writer, root, state) is { } toolsError)
            {
                return new TranslatedChatRequest(toolsError);
            }

            if (WriteGenerationConfig(writer, root, state) is { } configError)
            {
                return new TranslatedChatRequest(configError);
            }

            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "cached_content" when property.Value.ValueKind == JsonValueKind.String:
                        var name = property.Value.GetString()!;
                        writer.WriteString("cachedContent", name.StartsWith("cachedContents/", StringComparison.Ordinal) ? name : "cachedContents/" + name);
                        break;
                    case "cached_content":
                        return new TranslatedChatRequest(Invalid("'cached_content' must be the name of a Gemini cachedContents resource.", "cached_content"));
                    case "safety_settings" when property.Value.ValueKind == JsonValueKind.Array:
                        writer.WritePropertyName("safetySettings");
                        property.Value.WriteTo(writer);
                        break;
                    case "logit_bias" when property.Value.ValueKind != JsonValueKind.Null:
                        return new TranslatedChatRequest(Unsupported("logit_bias"));
                    case "audio" when property.Value.ValueKind != JsonValueKind.Null:
                        return new TranslatedChatRequest(Unsupported("audio", "Use /v1/audio/speech with a Gemini TTS model for speech."));
                    case "modalities" when property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().Any(m => m.GetString() != "text"):
                        return new TranslatedChatRequest(Unsupported("modalities", "Only [\"text\"] is supported for Gemini chat."));
                    case "web_search_options" when property.Value.ValueKind != JsonValueKind.Null:
                        return new TranslatedChatRequest(Unsupported("web_search_options"));
                    case "functions" or "function_call" when property.Value.ValueKind != JsonValueKind.Null:
                        return new TranslatedChatRequest(Unsupported(property.Name, "Use 'tools' and 'tool_choice'."));
                    default:
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return new TranslatedChatRequest(buffer.WrittenSpan.ToArray(), state.IncludeUsage, state.ParallelToolCalls, state.ThinkingModel);
    }

    private static GatewayError? WriteContents(Utf8JsonWriter writer, JsonElement root, State state)
    {
        var messages = root.GetProperty("messages");
        var system = new List<JsonElement>();
        var turns = new List<Turn>();
        var callNames = new Dictionary<string, (string Name, int Order)>(StringComparer.Ordinal);
        var index = -1;
        foreach (var message in messages.EnumerateArray())
        {
            index++;
            var role = message.GetProperty("role").GetString();
            var path = $"messages[{index}]";
            switch (role)
            {
                case "system" or "developer":
                    if (message.TryGetProperty("content", out var systemContent))
                    {
                        system.Add(systemContent);
                    }

                    break;
                case "user":
                    if (Append(turns, "user", message, path, state, ContentRole.User, callNames) is { } userError)
                    {
                        return userError;
                    }

                    break;
                case "assistant":
                    if (Append(turns, "model", message, path, state, ContentRole.Assistant, callNames) is { } assistantError)
                    {
                        return assistantError;
                    }

                    break;
                case "tool":
                    if (AppendToolResult(turns, message, path, callNames) is { } toolError)
                    {
                        return toolError;
                    }

                    break;
                case "function":
                    return Unsupported(path + ".role", "Legacy 'function' messages are not supported; use 'tool' messages.");
                default:
                    return Invalid($"Unknown role '{role}' in {path}.", path + ".role");
            }
        }

        if (turns.Count == 0)
        {
            return Invalid("Gemini needs at least one user or assistant message besides system messages.", "messages");
        }

        if (system.Count > 0)
        {
            writer.WriteStartObject("systemInstruction");
            writer.WriteStartArray("parts");
            foreach (var content in system)
            {
                if (content.ValueKind == JsonValueKind.String)
                {
                    WriteText(writer, content.GetString()!);
                }
                else if (content.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.TryGetProperty("text", out var text))
                        {
                            WriteText(writer, text.GetString() ?? string.Empty);
                        }
                    }
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteStartArray("contents");
        foreach (var turn in turns)
        {
            turn.SortToolResults();
            writer.WriteStartObject();
            writer.WriteString("role", turn.Role);
            writer.WriteStartArray("parts");
            foreach (var part in turn.Parts)
            {
                part.Write(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        return null;
    }

    private static GatewayError? Append(
        List<Turn> turns,
        string role,
        JsonElement message,
        string path,
        State state,
        ContentRole contentRole,
        Dictionary<string, (string Name, int Order)> callNames)
    {
        var turn = turns.Count > 0 && turns[^1].Role == role ? turns[^1] : null;
        if (turn is null)
        {
            turn = new Turn(role);
            turns.Add(turn);
        }

        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                var text = content.GetString()!;
                if (text.Length > 0 || contentRole == ContentRole.User)
                {
                    turn.Parts.Add(Part.Text(text));
                }
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in content.EnumerateArray())
                {
                    if (ContentPartTranslator.Translate(item, $"{path}.content[{i}]", out var error) is { } part)
                    {
                        turn.Parts.Add(part);
                    }
                    else if (error is not null)
                    {
                        return error;
                    }

                    i++;
                }
            }
        }

        if (contentRole == ContentRole.Assistant && message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var callPath = $"{path}.tool_calls[{i++}]";
                if (!call.TryGetProperty("function", out var function) || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return Invalid($"{callPath} needs a function with a name.", callPath);
                }

                JsonElement? args = null;
                if (function.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.String && arguments.GetString() is { Length: > 0 } json)
                {
                    try
                    {
                        using var parsed = JsonDocument.Parse(json);
                        args = parsed.RootElement.Clone();
                    }
                    catch (JsonException)
                    {
                        return Invalid($"{callPath}.function.arguments is not valid JSON.", callPath + ".function.arguments");
                    }
                }

                var signature = call.TryGetProperty("extra_content", out var extra) && extra.ValueKind == JsonValueKind.Object
                    && extra.TryGetProperty("google", out var google) && google.ValueKind == JsonValueKind.Object
                    && google.TryGetProperty("thought_signature", out var sig) && sig.ValueKind == JsonValueKind.String
                    ? sig.GetString()
                    : null;

                // Thinking models validate the signature of the first call of each model turn (assistant messages
                // in a row are one turn); a client that did not keep it gets Gemini's documented sentinel instead of
                // a 400.
                if (signature is null && turn.Calls == 0 && state.ThinkingModel)
                {
                    signature = SkipSignature;
                }

                // Results are matched to calls by their position in the merged turn.
                if (call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    callNames[id.GetString()!] = (name.GetString()!, turn.Calls);
                }

                turn.Parts.Add(Part.FunctionCall(name.GetString()!, args, signature));
                turn.Calls++;
            }
        }

        return null;
    }

    private static GatewayError? AppendToolResult(List<Turn> turns, JsonElement message, string path, Dictionary<string, (string Name, int Order)> callNames)
    {
        if (!message.TryGetProperty("tool_call_id", out var idElement) || idElement.ValueKind != JsonValueKind.String)
        {
            return new GatewayError(GatewayErrorKind.MissingParameter, $"Missing required parameter: '{path}.tool_call_id'.", path + ".tool_call_id");
        }

        var id = idElement.GetString()!;
        if (!callNames.TryGetValue(id, out var call))
        {
            return Invalid($"{path}.tool_call_id '{id}' matches no tool call of an earlier assistant message.", path + ".tool_call_id");
        }

        var text = message.TryGetProperty("content", out var content) ? ContentText(content) : string.Empty;
        JsonElement? response = null;
        if (text.Length > 0 && text.TrimStart().StartsWith('{'))
        {
            try
            {
                using var parsed = JsonDocument.Parse(text);
                response = parsed.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON after all: sent as text below.
            }
        }

        var turn = turns.Count > 0 && turns[^1].Role == "user" ? turns[^1] : null;
        if (turn is null)
        {
            turn = new Turn("user");
            turns.Add(turn);
        }

        turn.Parts.Add(Part.FunctionResponse(call.Name, response, text, call.Order));
        return null;
    }

    private static GatewayError? WriteTools(Utf8JsonWriter writer, JsonElement root, State state)
    {
        if (root.TryGetProperty("parallel_tool_calls", out var parallel) && parallel.ValueKind == JsonValueKind.False)
        {
            state.ParallelToolCalls = false;
        }

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            writer.WriteStartArray("tools");
            writer.WriteStartObject();
            writer.WriteStartArray("functionDeclarations");
            var i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var path = $"tools[{i++}]";
                if (!tool.TryGetProperty("type", out var type) || type.GetString() != "function")
                {
                    return Unsupported(path + ".type", "Only function tools are supported for Gemini models.");
                }

                if (!tool.TryGetProperty("function", out var function) || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return new GatewayError(GatewayErrorKind.MissingParameter, $"Missing required parameter: '{path}.function.name'.", path + ".function.name");
                }

                writer.WriteStartObject();
                writer.WriteString("name", name.GetString());
                if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                {
                    writer.WriteString("description", description.GetString());
                }

                if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                    && HasProperties(parameters))
                {
                    writer.WritePropertyName("parameters");
                    SchemaReducer.Write(writer, parameters);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        if (root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind != JsonValueKind.Null)
        {
            string? mode;
            string? only = null;
            if (choice.ValueKind == JsonValueKind.String)
            {
                mode = choice.GetString() switch
                {
                    "auto" => "AUTO",
                    "none" => "NONE",
                    "required" => "ANY",
                    _ => null,
                };
            }
            else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var function)
                && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                mode = "ANY";
                only = name.GetString();
            }
            else
            {
                mode = null;
            }

            if (mode is null)
            {
                return Invalid("'tool_choice' must be 'auto', 'none', 'required' or {\"type\":\"function\",\"function\":{\"name\":…}}.", "tool_choice");
            }

            writer.WriteStartObject("toolConfig");
            writer.WriteStartObject("functionCallingConfig");
            writer.WriteString("mode", mode);
            if (only is not null)
            {
                writer.WriteStartArray("allowedFunctionNames");
                writer.WriteStringValue(only);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return null;
    }

    private static bool HasProperties(JsonElement parameters) =>
        !parameters.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object || properties.EnumerateObject().Any();

    private static GatewayError? WriteGenerationConfig(Utf8JsonWriter writer, JsonElement root, State state)
    {
        writer.WriteStartObject("generationConfig");
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            switch (property.Name)
            {
                case "temperature":
                    writer.WriteNumber("temperature", value.GetDouble());
                    break;
                case "top_p":
                    writer.WriteNumber("topP", value.GetDouble());
                    break;
                case "max_tokens" or "max_completion_tokens":
                    if (!value.TryGetInt32(out var maxTokens) || maxTokens < 1)
                    {
                        return Invalid($"'{property.Name}' must be a positive integer.", property.Name);
                    }

                    if (property.Name == "max_tokens" && root.TryGetProperty("max_completion_tokens", out var both) && both.ValueKind != JsonValueKind.Null)
                    {
                        break; // max_completion_tokens wins, as it does at OpenAI
                    }

                    writer.WriteNumber("maxOutputTokens", maxTokens);
                    break;
                case "stop":
                    writer.WriteStartArray("stopSequences");
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        writer.WriteStringValue(value.GetString());
                    }
                    else
                    {
                        foreach (var stop in value.EnumerateArray())
                        {
                            writer.WriteStringValue(stop.GetString());
                        }
                    }

                    writer.WriteEndArray();
                    break;
                case "n":
                    if (!value.TryGetInt32(out var n) || n < 1 || n > 8)
                    {
                        return Invalid("'n' must be an integer from 1 to 8 for Gemini models.", "n");
                    }

                    writer.WriteNumber("candidateCount", n);
                    break;
                case "presence_penalty":
                    writer.WriteNumber("presencePenalty", value.GetDouble());
                    break;
                case "frequency_penalty":
                    writer.WriteNumber("frequencyPenalty", value.GetDouble());
                    break;
                case "seed":
                    writer.WriteNumber("seed", value.GetInt64());
                    break;
                case "logprobs":
                    if (value.ValueKind == JsonValueKind.True)
                    {
                        writer.WriteBoolean("responseLogprobs", true);
                    }

                    break;
                case "top_logprobs":
                    if (!value.TryGetInt32(out var top) || top < 0 || top > 20)
                    {
                        return Invalid("'top_logprobs' must be an integer from 0 to 20.", "top_logprobs");
                    }

                    writer.WriteNumber("logprobs", top);
                    break;
                case "response_format":
                    if (WriteResponseFormat(writer, value) is { } formatError)
                    {
                        return formatError;
                    }

                    break;
                case "reasoning_effort" when !state.ThinkingModel:
                    // A model that does not think rejects a thinking configuration; there is nothing to configure.
                    break;
                case "reasoning_effort":
                    if (WriteThinking(writer, value.GetString(), state.Model) is { } thinkingError)
                    {
                        return thinkingError;
                    }

                    break;
                case "stream_options":
                    state.IncludeUsage = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
                    break;
                default:
                    break;
            }
        }

        writer.WriteEndObject();
        return null;
    }

    private static GatewayError? WriteResponseFormat(Utf8JsonWriter writer, JsonElement format)
    {
        var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                writer.WriteString("responseMimeType", "application/json");
                return null;
            case "json_schema":
                if (!format.TryGetProperty("json_schema", out var jsonSchema) || !jsonSchema.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    return new GatewayError(GatewayErrorKind.MissingParameter, "Missing required parameter: 'response_format.json_schema.schema'.", "response_format.json_schema.schema");
                }

                writer.WriteString("responseMimeType", "application/json");
                writer.WritePropertyName("responseSchema");
                SchemaReducer.Write(writer, schema);
                return null;
            default:
                return Invalid("'response_format.type' must be 'text', 'json_object' or 'json_schema'.", "response_format.type");
        }
    }

    /// <summary>
    /// <c>reasoning_effort</c> → <c>thinkingConfig</c>: Gemini 3 takes a thinking level (3 Pro only low and high, so
    /// minimal → low and medium → high there); 2.5 a token budget (none 0, minimal 512, low 1024, medium 8192, high
    /// 24576, the budgets Google's own OpenAI compatibility layer uses; 2.5 Pro cannot stop thinking, so none is its
    /// minimum, 128). Models that do not think get no thinking configuration.
    /// </summary>
    private static GatewayError? WriteThinking(Utf8JsonWriter writer, string? effort, string model)
    {
        var gemini3 = model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase);
        var pro = model.Contains("-pro", StringComparison.OrdinalIgnoreCase);
        writer.WriteStartObject("thinkingConfig");
        if (gemini3)
        {
            var level = effort switch
            {
                "minimal" or "none" => pro ? "low" : "minimal",
                "low" => "low",
                "medium" => pro ? "high" : "medium",
                "high" => "high",
                _ => null,
            };
            if (level is null)
            {
                return Invalid("'reasoning_effort' must be one of none, minimal, low, medium, high.", "reasoning_effort");
            }

            writer.WriteString("thinkingLevel", level);
        }
        else
        {
            int? budget = effort switch
            {
                "none" => pro ? 128 : 0,
                "minimal" => 512,
                "low" => 1024,
                "medium" => 8192,
                "high" => 24576,
                _ => null,
            };
            if (budget is null)
            {
                return Invalid("'reasoning_effort' must be one of none, minimal, low, medium, high.", "reasoning_effort");
            }

            writer.WriteNumber("thinkingBudget", budget.Value);
        }

        writer.WriteEndObject();
        return null;
    }

    internal static string ContentText(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                parts.Add(text.GetString()!);
            }
        }

        return string.Join("\n", parts);
    }

    private static void WriteText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("text", text);
        writer.WriteEndObject();
    }

    internal static GatewayError Invalid(string message, string param) => new(GatewayErrorKind.InvalidRequest, message, param);

    internal static GatewayError Unsupported(string param, string? hint = null) =>
        new(GatewayErrorKind.InvalidRequest, $"'{param}' is not supported for Gemini models.{(hint is null ? string.Empty : " " + hint)}", param)
        {
            Code = "unsupported_parameter",
        };

    private enum ContentRole
    {
        User,
        Assistant,
    }

    private sealed class State(string model)
    {
        public string Model { get; } = model;

        public bool ThinkingModel { get; } = model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase) || model.StartsWith("gemini-2.5", StringComparison.OrdinalIgnoreCase);

        public bool IncludeUsage { get; set; }

        public bool ParallelToolCalls { get; set; } = true;
    }

    private sealed class Turn(string role)
    {
        public string Role { get; } = role;

        public List<Part> Parts { get; } = [];

        /// <summary>Gets or sets how many function calls the (merged) model turn holds so far.</summary>
        public int Calls { get; set; }

        /// <summary>
        /// Gemini wants the responses in the order of the calls they answer, whatever order the client sent, and
        /// right after them: function responses first, in call order (a stable sort), then any other part of the turn.
        /// </summary>
        public void SortToolResults()
        {
            if (Parts.Exists(static p => p.ResponseOrder >= 0))
            {
                var sorted = Parts.Where(static p => p.ResponseOrder >= 0).OrderBy(static p => p.ResponseOrder)
                    .Concat(Parts.Where(static p => p.ResponseOrder < 0))
                    .ToList();
                Parts.Clear();
                Parts.AddRange(sorted);
            }
        }
    }
}

/// <summary>A Gemini request translated from OpenAI's, or why it could not be.</summary>
internal sealed class TranslatedChatRequest
{
    public TranslatedChatRequest(GatewayError error)
    {
        Error = error;
        Body = [];
    }

    public TranslatedChatRequest(byte[] body, bool includeUsage, bool parallelToolCalls, bool thinkingModel)
    {
        Body = body;
        IncludeUsage = includeUsage;
        ParallelToolCalls = parallelToolCalls;
        ThinkingModel = thinkingModel;
    }

    public GatewayError? Error { get; }

    public byte[] Body { get; }

    public bool IncludeUsage { get; }

    public bool ParallelToolCalls { get; }

    public bool ThinkingModel { get; }
}
