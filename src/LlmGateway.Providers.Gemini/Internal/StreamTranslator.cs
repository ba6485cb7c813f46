using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Gemini's streamed <c>GenerateContentResponse</c> events → OpenAI <c>chat.completion.chunk</c> events: the role in
/// each choice's first delta, content and reasoning deltas, each function call as one tool-call delta with its
/// <c>index</c>, the finish reason, and at the end a usage chunk when <c>stream_options.include_usage</c> asked for it.
/// </summary>
/// <remarks>
/// Gemini sends no <c>[DONE]</c>; its stream is complete when every candidate has a finish reason. One that ends
/// before that was cut, and <see cref="Complete"/> says so with an exception rather than a clean end.
/// </remarks>
internal sealed class StreamTranslator(string model, bool includeUsage, bool parallelToolCalls, TimeProvider timeProvider)
{
    private readonly Dictionary<int, CandidateState> _candidates = [];
    private readonly long _created = timeProvider.GetUtcNow().ToUnixTimeSeconds();
    private string? _id;
    private string _model = model;
    private JsonElement? _usage;

    public void Translate(JsonElement response, List<byte[]> output)
    {
        if (response.TryGetProperty("error", out _))
        {
            throw new LlmGatewayException(GeminiErrors.FromErrorEvent(response));
        }

        if ((ChatResponseTranslator.Blocked(response) ?? ChatResponseTranslator.Malformed(response)) is { } error)
        {
            throw new LlmGatewayException(error);
        }

        _id ??= ChatResponseTranslator.CompletionId(response);
        _model = ChatResponseTranslator.ModelOf(response, _model);
        if (response.TryGetProperty("usageMetadata", out var usage))
        {
            _usage = usage.Clone();
        }

        if (!response.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var position = 0;
        foreach (var candidate in candidates.EnumerateArray())
        {
            var index = candidate.TryGetProperty("index", out var i) && i.TryGetInt32(out var value) ? value : position;
            position++;
            if (!_candidates.TryGetValue(index, out var state))
            {
                state = new CandidateState();
                _candidates[index] = state;
            }

            output.Add(Chunk(candidate, index, state));
        }
    }

    public void Complete(List<byte[]> output)
    {
        if (_candidates.Count == 0 || _candidates.Values.Any(static c => !c.Finished))
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "Gemini's stream ended before it finished (no finish reason)."));
        }

        if (includeUsage && _usage is { } usage)
        {
            output.Add(Write(writer =>
            {
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                ChatResponseTranslator.WriteUsage(writer, usage);
            }));
        }
    }

    private byte[] Chunk(JsonElement candidate, int index, CandidateState state) => Write(writer =>
    {
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", index);
        writer.WriteStartObject("delta");
        if (!state.RoleSent)
        {
            writer.WriteString("role", "assistant");
            state.RoleSent = true;
        }

        var (text, thoughts, calls) = ChatResponseTranslator.SplitParts(candidate, parallelToolCalls ? int.MaxValue : Math.Max(0, 1 - state.ToolCalls));

        if (text.Length > 0)
        {
            writer.WriteString("content", text.ToString());
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
                ChatResponseTranslator.WriteToolCall(writer, call, state.ToolCalls++);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        ChatResponseTranslator.WriteLogprobs(writer, candidate);
        if (candidate.TryGetProperty("finishReason", out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            state.Finished = true;
            writer.WriteString("finish_reason", ChatResponseTranslator.FinishReason(candidate, state.ToolCalls > 0));
        }
        else
        {
            writer.WriteNull("finish_reason");
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    });

    private byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", _id ?? "chatcmpl-gemini");
            writer.WriteString("object", "chat.completion.chunk");
            writer.WriteNumber("created", _created);
            writer.WriteString("model", _model);
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed class CandidateState
    {
        public bool RoleSent { get; set; }

        public int ToolCalls { get; set; }

        public bool Finished { get; set; }
    }
}
