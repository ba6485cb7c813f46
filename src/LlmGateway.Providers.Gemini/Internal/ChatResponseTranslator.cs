using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Gemini's <c>GenerateContentResponse</c> → an OpenAI <c>chat.completion</c>: candidates become choices, function
/// calls become tool calls (arguments as a JSON string, the thought signature under
/// <c>extra_content.google.thought_signature</c>, as Google's own OpenAI compatibility layer does), thought summaries
/// become <c>reasoning_content</c>, and <c>usageMetadata</c> becomes <c>usage</c>.
/// </summary>
internal static class ChatResponseTranslator
{
    public static byte[] Translate(JsonElement response, string model, bool parallelToolCalls, TimeProvider timeProvider, out GatewayError? error)
    {
        error = Blocked(response) ?? Malformed(response);
        if (error is not null)
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", CompletionId(response));
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", timeProvider.GetUtcNow().ToUnixTimeSeconds());
            writer.WriteString("model", ModelOf(response, model));
            writer.WriteStartArray("choices");
            if (response.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var candidate in candidates.EnumerateArray())
                {
                    WriteChoice(writer, candidate, i++, parallelToolCalls);
                }
            }

            writer.WriteEndArray();
            if (response.TryGetProperty("usageMetadata", out var usage))
            {
                WriteUsage(writer, usage);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteChoice(Utf8JsonWriter writer, JsonElement candidate, int position, bool parallelToolCalls)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index", candidate.TryGetProperty("index", out var index) && index.TryGetInt32(out var i) ? i : position);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        var (text, thoughts, calls) = SplitParts(candidate, parallelToolCalls ? int.MaxValue : 1);

        if (text.Length > 0 || calls.Count == 0)
        {
            writer.WriteString("content", text.ToString());
        }
        else
        {
            writer.WriteNull("content");
        }

        if (thoughts.Length > 0)
        {
            writer.WriteString("reasoning_content", thoughts.ToString());
        }

        if (calls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                WriteToolCall(writer, call, index: null);
            }

            writer.WriteEndArray();
        }

        writer.WriteNull("refusal");
        writer.WriteEndObject();
        WriteLogprobs(writer, candidate);
        writer.WriteString("finish_reason", FinishReason(candidate, calls.Count > 0));
        writer.WriteEndObject();
    }

    /// <summary>
    /// A candidate's parts: answer text, thought-summary text, and at most <paramref name="maxCalls"/> function-call
    /// parts (one when <c>parallel_tool_calls</c> is false).
    /// </summary>
    internal static (StringBuilder Text, StringBuilder Thoughts, List<JsonElement> Calls) SplitParts(JsonElement candidate, int maxCalls)
    {
        var text = new StringBuilder();
        var thoughts = new StringBuilder();
        var calls = new List<JsonElement>();
        if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetProperty("functionCall", out _))
                {
                    if (calls.Count < maxCalls)
                    {
                        calls.Add(part);
                    }
                }
                else if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    (IsThought(part) ? thoughts : text).Append(t.GetString());
                }
            }
        }

        return (text, thoughts, calls);
    }

    /// <summary>Writes one tool call; <paramref name="index"/> is set for a streamed delta.</summary>
    internal static void WriteToolCall(Utf8JsonWriter writer, JsonElement part, int? index)
    {
        var call = part.GetProperty("functionCall");
        writer.WriteStartObject();
        if (index is { } value)
        {
            writer.WriteNumber("index", value);
        }

        writer.WriteString("id", call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : NewToolCallId());
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.TryGetProperty("name", out var name) ? name.GetString() : string.Empty);
        writer.WriteString("arguments", call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object ? Compact(args) : "{}");
        writer.WriteEndObject();
        if (part.TryGetProperty("thoughtSignature", out var signature) && signature.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartObject("extra_content");
            writer.WriteStartObject("google");
            writer.WriteString("thought_signature", signature.GetString());
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>STOP → stop (tool_calls when the candidate called a function), MAX_TOKENS → length, every blocking
    /// reason → content_filter. Other and unspecified reasons map to stop.</summary>
    internal static string FinishReason(JsonElement candidate, bool calledTools)
    {
        var reason = candidate.TryGetProperty("finishReason", out var r) ? r.GetString() : null;
        return reason switch
        {
            "MAX_TOKENS" => "length",
            "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "LANGUAGE" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION" => "content_filter",
            _ when calledTools => "tool_calls",
            _ => "stop",
        };
    }

    /// <summary>usageMetadata → usage. Thinking tokens count as completion tokens, as OpenAI counts reasoning tokens.</summary>
    internal static void WriteUsage(Utf8JsonWriter writer, JsonElement usage)
    {
        var prompt = Int(usage, "promptTokenCount") + Int(usage, "toolUsePromptTokenCount");
        var candidates = Int(usage, "candidatesTokenCount");
        var thoughts = Int(usage, "thoughtsTokenCount");
        var total = usage.TryGetProperty("totalTokenCount", out var t) && t.TryGetInt32(out var totalValue) ? totalValue : prompt + candidates + thoughts;
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", prompt);
        writer.WriteNumber("completion_tokens", candidates + thoughts);
        writer.WriteNumber("total_tokens", total);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", Int(usage, "cachedContentTokenCount"));
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", thoughts);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    internal static void WriteLogprobs(Utf8JsonWriter writer, JsonElement candidate)
    {
        if (!candidate.TryGetProperty("logprobsResult", out var result) || !result.TryGetProperty("chosenCandidates", out var chosen) || chosen.ValueKind != JsonValueKind.Array)
        {
            writer.WriteNull("logprobs");
            return;
        }

        var tops = result.TryGetProperty("topCandidates", out var top) && top.ValueKind == JsonValueKind.Array ? top : default;
        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("content");
        var i = 0;
        foreach (var token in chosen.EnumerateArray())
        {
            writer.WriteStartObject();
            WriteToken(writer, token);
            writer.WriteStartArray("top_logprobs");
            if (tops.ValueKind == JsonValueKind.Array && i < tops.GetArrayLength() && tops[i].TryGetProperty("candidates", out var alternatives))
            {
                foreach (var alternative in alternatives.EnumerateArray())
                {
                    writer.WriteStartObject();
                    WriteToken(writer, alternative);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            i++;
        }

        writer.WriteEndArray();
        writer.WriteNull("refusal");
        writer.WriteEndObject();
    }

    internal static bool IsThought(JsonElement part) => part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True;

    internal static string CompletionId(JsonElement response) =>
        "chatcmpl-" + (response.TryGetProperty("responseId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : RandomNumberGenerator.GetHexString(24, lowercase: true));

    internal static string ModelOf(JsonElement response, string model) =>
        response.TryGetProperty("modelVersion", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString()! : model;

    /// <summary>A prompt Gemini blocked before generating anything: a 400 <c>content_filter</c> error.</summary>
    internal static GatewayError? Blocked(JsonElement response)
    {
        var hasCandidates = response.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0;
        if (hasCandidates || !response.TryGetProperty("promptFeedback", out var feedback) || !feedback.TryGetProperty("blockReason", out var reason))
        {
            return null;
        }

        return new GatewayError(GatewayErrorKind.InvalidRequest, $"The prompt was blocked by Gemini before generation (blockReason {reason.GetString()}).", "messages")
        {
            Code = "content_filter",
        };
    }

    /// <summary>A candidate whose function call Gemini could not form: an unusable answer, reported as an error rather
    /// than as an empty success.</summary>
    internal static GatewayError? Malformed(JsonElement response)
    {
        if (!response.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var candidate in candidates.EnumerateArray())
        {
            if (candidate.TryGetProperty("finishReason", out var reason) && reason.GetString() is "MALFORMED_FUNCTION_CALL" or "UNEXPECTED_TOOL_CALL" or "TOO_MANY_TOOL_CALLS")
            {
                var message = candidate.TryGetProperty("finishMessage", out var m) && m.ValueKind == JsonValueKind.String ? ": " + m.GetString() : ".";
                return new GatewayError(GatewayErrorKind.UpstreamInvalidResponse, $"Gemini could not produce a valid function call (finishReason {reason.GetString()}){message}")
                {
                    Code = "malformed_function_call",
                };
            }
        }

        return null;
    }

    private static void WriteToken(Utf8JsonWriter writer, JsonElement token)
    {
        var text = token.TryGetProperty("token", out var t) ? t.GetString() ?? string.Empty : string.Empty;
        writer.WriteString("token", text);
        writer.WriteNumber("logprob", token.TryGetProperty("logProbability", out var p) ? p.GetDouble() : 0);
        writer.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            writer.WriteNumberValue(b);
        }

        writer.WriteEndArray();
    }

    /// <summary>The arguments as compact JSON, as OpenAI sends them, whatever whitespace the upstream used.</summary>
    private static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static int Int(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.TryGetInt32(out var i) ? i : 0;

    private static string NewToolCallId() => "call_" + RandomNumberGenerator.GetHexString(24, lowercase: true);
}
