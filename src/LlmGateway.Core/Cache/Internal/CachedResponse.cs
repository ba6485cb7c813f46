using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>What a cache entry holds.</summary>
internal enum CachedResponseKind
{
    /// <summary>A chat completion body, from a non-streamed request.</summary>
    Completion,

    /// <summary>The data of each chat.completion.chunk event of a stream that finished cleanly (the usage chunk
    /// included; no <c>[DONE]</c>), from a streamed request.</summary>
    Chunks,

    /// <summary>An embeddings body.</summary>
    Embeddings,
}

/// <summary>
/// A cached answer and what is known of it. Stored as one blob whose first bytes carry the format version;
/// a blob of another version reads as a miss.
/// </summary>
/// <remarks>
/// <para>The blob is binary, little-endian, so a hit costs a few copies and no JSON work on the payload:</para>
/// <code>
/// "LGCR"  version:u8  kind:u8  flags:u8 (bit 0: usage present)
/// created:i64 (Unix ms)  upstreamLatency:i64 (ticks)
/// modelLength:i32  model:UTF-8   providerLength:i32  provider:UTF-8
/// [prompt:i64 completion:i64 cached:i64 reasoning:i64]    (when usage is present)
/// Completion, Embeddings: bodyLength:i32  body
/// Chunks:                 count:i32  (length:i32  data) × count
/// </code>
/// <para>The payload ends the blob exactly: trailing bytes, like missing ones, make the blob damaged. Times are kept to
/// the millisecond, in UTC.</para>
/// </remarks>
internal sealed class CachedResponse
{
    /// <summary>Bumped whenever the layout changes: entries written by another version read as misses.</summary>
    private const byte FormatVersion = 1;

    private const byte UsagePresent = 1;

    /// <summary>Magic, version, kind, flags, created, latency.</summary>
    private const int FixedHeaderLength = 4 + 1 + 1 + 1 + 8 + 8;

    private const int UsageLength = 4 * sizeof(long);

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public required CachedResponseKind Kind { get; init; }

    /// <summary>The upstream model that answered.</summary>
    public required string Model { get; init; }

    /// <summary>The provider instance that answered.</summary>
    public required string Provider { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>How long the upstream took (to the whole answer), reported as time saved on a hit.</summary>
    public TimeSpan UpstreamLatency { get; init; }

    /// <summary>The usage the upstream reported, if any.</summary>
    public UsageCounts? Usage { get; init; }

    /// <summary>The body, for <see cref="CachedResponseKind.Completion"/> and <see cref="CachedResponseKind.Embeddings"/>.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The chunks' data, for <see cref="CachedResponseKind.Chunks"/>.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Chunks { get; init; } = [];

    private static ReadOnlySpan<byte> Magic => "LGCR"u8;

    /// <summary>The blob (layout in the remarks of this type); only the payload of <see cref="Kind"/> is written.</summary>
    public byte[] Serialize()
    {
        var modelLength = Encoding.UTF8.GetByteCount(Model);
        var providerLength = Encoding.UTF8.GetByteCount(Provider);
        var length = checked(FixedHeaderLength + sizeof(int) + modelLength + sizeof(int) + providerLength
            + (Usage is null ? 0 : UsageLength) + sizeof(int) + PayloadLength());

        var blob = new byte[length];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        span[4] = FormatVersion;
        span[5] = (byte)Kind;
        span[6] = Usage is null ? (byte)0 : UsagePresent;
        BinaryPrimitives.WriteInt64LittleEndian(span[7..], CreatedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(span[15..], UpstreamLatency.Ticks);
        var position = FixedHeaderLength;

        WriteString(span, ref position, Model, modelLength);
        WriteString(span, ref position, Provider, providerLength);
        if (Usage is { } usage)
        {
            WriteInt64(span, ref position, usage.PromptTokens);
            WriteInt64(span, ref position, usage.CompletionTokens);
            WriteInt64(span, ref position, usage.CachedTokens);
            WriteInt64(span, ref position, usage.ReasoningTokens);
        }

        if (Kind == CachedResponseKind.Chunks)
        {
            WriteInt32(span, ref position, Chunks.Count);
            foreach (var chunk in Chunks)
            {
                WriteBytes(span, ref position, chunk.Span);
            }
        }
        else
        {
            WriteBytes(span, ref position, Body.Span);
        }

        return blob;
    }

    /// <summary>The entry, or null when the blob is of another format version or damaged.</summary>
    /// <remarks>Never throws. The payload is copied once; the chunks are slices of that one copy.</remarks>
    public static CachedResponse? Deserialize(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < FixedHeaderLength || !blob.StartsWith(Magic) || blob[4] != FormatVersion)
        {
            return null;
        }

        var kind = (CachedResponseKind)blob[5];
        var flags = blob[6];
        var createdMs = BinaryPrimitives.ReadInt64LittleEndian(blob[7..]);
        var latencyTicks = BinaryPrimitives.ReadInt64LittleEndian(blob[15..]);
        if (kind is not (CachedResponseKind.Completion or CachedResponseKind.Chunks or CachedResponseKind.Embeddings)
            || (flags & ~UsagePresent) != 0
            || createdMs < DateTimeOffset.MinValue.ToUnixTimeMilliseconds()
            || createdMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }

        var rest = blob[FixedHeaderLength..];
        if (!TryReadString(ref rest, out var model) || !TryReadString(ref rest, out var provider))
        {
            return null;
        }

        UsageCounts? usage = null;
        if ((flags & UsagePresent) != 0)
        {
            if (rest.Length < UsageLength)
            {
                return null;
            }

            usage = new UsageCounts(
                BinaryPrimitives.ReadInt64LittleEndian(rest),
                BinaryPrimitives.ReadInt64LittleEndian(rest[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(rest[16..]),
                BinaryPrimitives.ReadInt64LittleEndian(rest[24..]));
            rest = rest[UsageLength..];
        }

        var body = ReadOnlyMemory<byte>.Empty;
        IReadOnlyList<ReadOnlyMemory<byte>> chunks = [];
        if (kind == CachedResponseKind.Chunks)
        {
            if (!TryReadChunks(rest, out var read))
            {
                return null;
            }

            chunks = read;
        }
        else
        {
            if (!TryReadLength(ref rest, out var bodyLength) || bodyLength != rest.Length)
            {
                return null;
            }

            body = rest.ToArray();
        }

        return new CachedResponse
        {
            Kind = kind,
            Model = model,
            Provider = provider,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(createdMs),
            UpstreamLatency = TimeSpan.FromTicks(latencyTicks),
            Usage = usage,
            Body = body,
            Chunks = chunks,
        };
    }

    private int PayloadLength()
    {
        if (Kind != CachedResponseKind.Chunks)
        {
            return Body.Length;
        }

        var length = 0;
        foreach (var chunk in Chunks)
        {
            length = checked(length + sizeof(int) + chunk.Length);
        }

        return length;
    }

    /// <summary>Checks every length first, then copies the chunk list once and slices it.</summary>
    private static bool TryReadChunks(ReadOnlySpan<byte> payload, out ReadOnlyMemory<byte>[] chunks)
    {
        chunks = [];
        var rest = payload;
        // A count larger than the length prefixes that could follow is damage, not a reason to allocate.
        if (!TryReadLength(ref rest, out var count) || count > rest.Length / sizeof(int))
        {
            return false;
        }

        var offsets = new (int Start, int Length)[count];
        var start = sizeof(int);
        for (var i = 0; i < count; i++)
        {
            if (!TryReadLength(ref rest, out var length) || length > rest.Length)
            {
                return false;
            }

            start += sizeof(int);
            offsets[i] = (start, length);
            start += length;
            rest = rest[length..];
        }

        if (!rest.IsEmpty)
        {
            return false;
        }

        var copy = payload.ToArray();
        chunks = new ReadOnlyMemory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            chunks[i] = new ReadOnlyMemory<byte>(copy, offsets[i].Start, offsets[i].Length);
        }

        return true;
    }

    private static bool TryReadLength(ref ReadOnlySpan<byte> rest, out int length)
    {
        length = 0;
        if (rest.Length < sizeof(int))
        {
            return false;
        }

        length = BinaryPrimitives.ReadInt32LittleEndian(rest);
        rest = rest[sizeof(int)..];
        return length >= 0;
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> rest, out string value)
    {
        value = string.Empty;
        if (!TryReadLength(ref rest, out var length) || length > rest.Length)
        {
            return false;
        }

        try
        {
            value = s_strictUtf8.GetString(rest[..length]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        rest = rest[length..];
        return true;
    }

    private static void WriteString(Span<byte> blob, ref int position, string value, int byteCount)
    {
        WriteInt32(blob, ref position, byteCount);
        position += Encoding.UTF8.GetBytes(value, blob[position..]);
    }

    private static void WriteBytes(Span<byte> blob, ref int position, ReadOnlySpan<byte> value)
    {
        WriteInt32(blob, ref position, value.Length);
        value.CopyTo(blob[position..]);
        position += value.Length;
    }

    private static void WriteInt32(Span<byte> blob, ref int position, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(blob[position..], value);
        position += sizeof(int);
    }

    private static void WriteInt64(Span<byte> blob, ref int position, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(blob[position..], value);
        position += sizeof(long);
    }
}

/// <summary>
/// Turns a cached answer into what the request that hit it asked for: the stored body or chunks as they were (byte for
/// byte), a stream's chunks assembled into one completion for a non-streamed request, a completion split into chunks
/// for a streamed one.
/// </summary>
/// <remarks>
/// Assembly and splitting are inverse for what OpenAI's wire format carries: a completion split into chunks assembles
/// back into the same message, tool calls, logprobs, finish reasons and usage. Members of a message or delta the
/// gateway does not know (<c>reasoning_content</c>, <c>audio</c>, …) are kept: string values are concatenated across
/// deltas, other values are taken from the last delta that carried them, and a split writes each in a delta of its own.
/// </remarks>
internal static class CachedResponseConverter
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A chat completion body for a non-streamed request: the stored body of a Completion entry as it is, or
    /// the chunks of a Chunks entry assembled (content and refusal concatenated, tool calls by index with their
    /// arguments concatenated, finish reasons, logprobs content, the usage, id/created/model/system_fingerprint of the
    /// first chunk).</summary>
    /// <remarks>A chunk that is not a JSON object is skipped (only cleanly finished streams are stored).</remarks>
    public static ReadOnlyMemory<byte> ToCompletion(CachedResponse entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind == CachedResponseKind.Chunks ? CompletionAssembler.Assemble(entry) : entry.Body;
    }

    /// <summary>
    /// The data of each SSE event for a streamed request (no <c>[DONE]</c>; the caller writes it): a Chunks entry's
    /// chunks as stored, minus the usage-only chunk (empty <c>choices</c>) when <paramref name="includeUsage"/> is false;
    /// a Completion entry split into chunks as OpenAI streams them (per choice: a role chunk, the content, each tool
    /// call, a finish chunk), then the usage-only chunk when <paramref name="includeUsage"/>.
    /// </summary>
    /// <remarks>
    /// A split completion's chunks carry its id, created, model, service_tier and system_fingerprint. The role chunk
    /// opens with <c>"content": ""</c> (<c>null</c> for a message without content, as OpenAI streams tool-call-only
    /// answers); the choice's logprobs ride on the content chunk. With <paramref name="includeUsage"/> every other chunk
    /// has <c>"usage": null</c>, as OpenAI writes them, and the usage chunk carries the body's usage, or the entry's
    /// counts when the body had none; without it no chunk has a <c>usage</c> member.
    /// </remarks>
    /// <exception cref="InvalidOperationException">An Embeddings entry (embeddings are never streamed), or a Completion
    /// entry whose body is not a JSON object.</exception>
    public static IReadOnlyList<ReadOnlyMemory<byte>> ToChunks(CachedResponse entry, bool includeUsage)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind switch
        {
            CachedResponseKind.Chunks => includeUsage ? entry.Chunks : WithoutUsageChunk(entry.Chunks),
            CachedResponseKind.Completion => CompletionSplitter.Split(entry, includeUsage),
            _ => throw new InvalidOperationException($"A {entry.Kind} entry cannot be streamed."),
        };
    }

    /// <summary>The chunks without the one <c>include_usage</c> adds; the same list when there is none.</summary>
    private static IReadOnlyList<ReadOnlyMemory<byte>> WithoutUsageChunk(IReadOnlyList<ReadOnlyMemory<byte>> chunks)
    {
        List<ReadOnlyMemory<byte>>? kept = null;
        for (var i = 0; i < chunks.Count; i++)
        {
            UsageReader.FromChunk(chunks[i].Span, out var usageOnly);
            if (usageOnly && kept is null)
            {
                kept = new List<ReadOnlyMemory<byte>>(chunks.Count);
                for (var j = 0; j < i; j++)
                {
                    kept.Add(chunks[j]);
                }
            }
            else if (!usageOnly)
            {
                kept?.Add(chunks[i]);
            }
        }

        return kept ?? chunks;
    }

    /// <summary>Chunks → one <c>chat.completion</c>, as OpenAI would have answered the request without streaming.</summary>
    private sealed class CompletionAssembler : IDisposable
    {
        private readonly List<JsonDocument> _documents = [];
        private readonly SortedDictionary<int, ChoiceState> _choices = [];
        private string? _id;
        private JsonElement? _created;
        private string? _model;
        private string? _serviceTier;
        private string? _systemFingerprint;
        private JsonElement? _usage;

        public static ReadOnlyMemory<byte> Assemble(CachedResponse entry)
        {
            // The documents stay open until the completion is written: logprobs, annotations and the usage are copied
            // straight from them.
            using var assembler = new CompletionAssembler();
            foreach (var chunk in entry.Chunks)
            {
                assembler.Add(chunk);
            }

            return assembler.Write(entry);
        }

        public void Dispose()
        {
            foreach (var document in _documents)
            {
                document.Dispose();
            }
        }

        private void Add(ReadOnlyMemory<byte> chunk)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(chunk);
            }
            catch (JsonException)
            {
                return;
            }

            _documents.Add(document);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                if (property.NameEquals("choices"u8))
                {
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        var position = 0;
                        foreach (var choice in value.EnumerateArray())
                        {
                            AddChoice(choice, position++);
                        }
                    }
                }
                else if (property.NameEquals("usage"u8))
                {
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        _usage = value;
                    }
                }
                else if (property.NameEquals("created"u8))
                {
                    _created ??= value.ValueKind == JsonValueKind.Number ? value : null;
                }
                else if (value.ValueKind == JsonValueKind.String)
                {
                    if (property.NameEquals("id"u8))
                    {
                        _id ??= value.GetString();
                    }
                    else if (property.NameEquals("model"u8))
                    {
                        _model ??= value.GetString();
                    }
                    else if (property.NameEquals("service_tier"u8))
                    {
                        _serviceTier ??= value.GetString();
                    }
                    else if (property.NameEquals("system_fingerprint"u8))
                    {
                        _systemFingerprint ??= value.GetString();
                    }
                }
            }
        }

        private void AddChoice(JsonElement choice, int position)
        {
            if (choice.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            var index = choice.TryGetProperty("index"u8, out var i) && i.TryGetInt32(out var value) ? value : position;
            if (!_choices.TryGetValue(index, out var state))
            {
                state = new ChoiceState();
                _choices[index] = state;
            }

            if (choice.TryGetProperty("delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                state.AddDelta(delta);
            }

            if (choice.TryGetProperty("logprobs"u8, out var logprobs) && logprobs.ValueKind == JsonValueKind.Object)
            {
                state.AddLogprobs(logprobs);
            }

            if (choice.TryGetProperty("finish_reason"u8, out var reason) && reason.ValueKind == JsonValueKind.String)
            {
                state.FinishReason = reason.GetString();
            }
        }

        private ReadOnlyMemory<byte> Write(CachedResponse entry)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, _id ?? string.Empty);
                writer.WriteString("object"u8, "chat.completion"u8);
                if (_created is { } created)
                {
                    writer.WritePropertyName("created"u8);
                    created.WriteTo(writer);
                }
                else
                {
                    writer.WriteNumber("created"u8, entry.CreatedAt.ToUnixTimeSeconds());
                }

                writer.WriteString("model"u8, _model ?? entry.Model);
                writer.WriteStartArray("choices"u8);
                foreach (var (index, choice) in _choices)
                {
                    choice.Write(writer, index);
                }

                writer.WriteEndArray();
                if (_usage is { } usage)
                {
                    writer.WritePropertyName("usage"u8);
                    usage.WriteTo(writer);
                }

                if (_serviceTier is not null)
                {
                    writer.WriteString("service_tier"u8, _serviceTier);
                }

                if (_systemFingerprint is not null)
                {
                    writer.WriteString("system_fingerprint"u8, _systemFingerprint);
                }

                writer.WriteEndObject();
            }

            return buffer.WrittenMemory;
        }
    }

    /// <summary>What the deltas of one choice add up to.</summary>
    private sealed class ChoiceState
    {
        private readonly SortedDictionary<int, ToolCallState> _toolCalls = [];
        private readonly List<ExtraMember> _extras = [];
        private string? _role;
        private StringBuilder? _content;
        private StringBuilder? _refusal;
        private List<JsonElement>? _annotations;
        private bool _hasLogprobs;
        private List<JsonElement>? _logprobsContent;
        private List<JsonElement>? _logprobsRefusal;

        public string? FinishReason { get; set; }

        public void AddDelta(JsonElement delta)
        {
            foreach (var property in delta.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (property.NameEquals("role"u8))
                {
                    _role ??= value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                }
                else if (property.NameEquals("content"u8))
                {
                    Append(ref _content, value);
                }
                else if (property.NameEquals("refusal"u8))
                {
                    Append(ref _refusal, value);
                }
                else if (property.NameEquals("tool_calls"u8))
                {
                    AddToolCalls(value);
                }
                else if (property.NameEquals("annotations"u8))
                {
                    AddAll(ref _annotations, value);
                }
                else
                {
                    ExtraMember.Add(_extras, property.Name, value);
                }
            }
        }

        public void AddLogprobs(JsonElement logprobs)
        {
            _hasLogprobs = true;
            if (logprobs.TryGetProperty("content"u8, out var content))
            {
                AddAll(ref _logprobsContent, content);
            }

            if (logprobs.TryGetProperty("refusal"u8, out var refusal))
            {
                AddAll(ref _logprobsRefusal, refusal);
            }
        }

        public void Write(Utf8JsonWriter writer, int index)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, index);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, _role ?? "assistant");
            WriteText(writer, "content"u8, _content);
            WriteText(writer, "refusal"u8, _refusal);
            foreach (var extra in _extras)
            {
                extra.Write(writer);
            }

            if (_toolCalls.Count > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var call in _toolCalls.Values)
                {
                    call.Write(writer);
                }

                writer.WriteEndArray();
            }

            if (_annotations is not null)
            {
                WriteArray(writer, "annotations"u8, _annotations);
            }

            writer.WriteEndObject();
            if (_hasLogprobs)
            {
                writer.WriteStartObject("logprobs"u8);
                WriteArray(writer, "content"u8, _logprobsContent);
                WriteArray(writer, "refusal"u8, _logprobsRefusal);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("logprobs"u8);
            }

            if (FinishReason is null)
            {
                writer.WriteNull("finish_reason"u8);
            }
            else
            {
                writer.WriteString("finish_reason"u8, FinishReason);
            }

            writer.WriteEndObject();
        }

        private void AddToolCalls(JsonElement calls)
        {
            if (calls.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            var position = 0;
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind != JsonValueKind.Object)
                {
                    position++;
                    continue;
                }

                var index = call.TryGetProperty("index"u8, out var i) && i.TryGetInt32(out var value) ? value : position;
                position++;
                if (!_toolCalls.TryGetValue(index, out var state))
                {
                    state = new ToolCallState();
                    _toolCalls[index] = state;
                }

                state.Add(call);
            }
        }
    }

    /// <summary>What the deltas of one tool call add up to: the first id, type and name, the arguments concatenated.</summary>
    private sealed class ToolCallState
    {
        private readonly List<ExtraMember> _extras = [];
        private readonly StringBuilder _arguments = new();
        private string? _id;
        private string? _type;
        private string? _name;

        public void Add(JsonElement call)
        {
            foreach (var property in call.EnumerateObject())
            {
                var value = property.Value;
                if (property.NameEquals("index"u8) || value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (property.NameEquals("id"u8))
                {
                    _id ??= value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                }
                else if (property.NameEquals("type"u8))
                {
                    _type ??= value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                }
                else if (property.NameEquals("function"u8))
                {
                    AddFunction(value);
                }
                else
                {
                    // Provider additions such as Gemini's extra_content.google.thought_signature: kept whole.
                    ExtraMember.Add(_extras, property.Name, value, concatenate: false);
                }
            }
        }

        public void Write(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, _id ?? string.Empty);
            writer.WriteString("type"u8, _type ?? "function");
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, _name ?? string.Empty);
            writer.WriteString("arguments"u8, _arguments.ToString());
            writer.WriteEndObject();
            foreach (var extra in _extras)
            {
                extra.Write(writer);
            }

            writer.WriteEndObject();
        }

        private void AddFunction(JsonElement function)
        {
            if (function.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            // OpenAI sends the name once, in the call's first delta; a later repeat of it must not double it.
            if (_name is null or "" && function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                _name = name.GetString();
            }

            if (function.TryGetProperty("arguments"u8, out var arguments) && arguments.ValueKind == JsonValueKind.String)
            {
                _arguments.Append(arguments.GetString());
            }
        }
    }

    /// <summary>A member the gateway does not know: strings concatenated across deltas, other values the last one.</summary>
    private sealed class ExtraMember(string name)
    {
        private StringBuilder? _text;
        private JsonElement _value;

        public string Name { get; } = name;

        public static void Add(List<ExtraMember> members, string name, JsonElement value, bool concatenate = true)
        {
            var member = members.Find(m => m.Name == name);
            if (member is null)
            {
                member = new ExtraMember(name);
                members.Add(member);
            }

            if (concatenate && value.ValueKind == JsonValueKind.String)
            {
                member._text ??= new StringBuilder();
                member._text.Append(value.GetString());
            }
            else
            {
                member._text = null;
                member._value = value;
            }
        }

        public void Write(Utf8JsonWriter writer)
        {
            if (_text is not null)
            {
                writer.WriteString(Name, _text.ToString());
            }
            else
            {
                writer.WritePropertyName(Name);
                _value.WriteTo(writer);
            }
        }
    }

    /// <summary>One chat.completion → the chat.completion.chunk events OpenAI would have streamed for it.</summary>
    private sealed class CompletionSplitter : IDisposable
    {
        private readonly List<ReadOnlyMemory<byte>> _chunks = [];
        private readonly ArrayBufferWriter<byte> _buffer = new(512);
        private readonly Utf8JsonWriter _writer;
        private readonly JsonElement _root;
        private readonly bool _includeUsage;

        private CompletionSplitter(JsonElement root, bool includeUsage)
        {
            _root = root;
            _includeUsage = includeUsage;
            _writer = new Utf8JsonWriter(_buffer, s_writerOptions);
        }

        public static List<ReadOnlyMemory<byte>> Split(CachedResponse entry, bool includeUsage)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(entry.Body);
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException("The cached completion is not JSON.", ex);
            }

            using var owner = document;
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException("The cached completion is not a JSON object.");
            }

            using var splitter = new CompletionSplitter(document.RootElement, includeUsage);
            if (document.RootElement.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                var position = 0;
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object)
                    {
                        splitter.AddChoice(choice, position);
                    }

                    position++;
                }
            }

            if (includeUsage)
            {
                splitter.AddUsage(entry.Usage);
            }

            return splitter._chunks;
        }

        public void Dispose() => _writer.Dispose();

        /// <summary>A role chunk, a chunk per other member, the content, the refusal, the annotations, a chunk per tool
        /// call, a finish chunk. The choice's logprobs ride on its content chunk (else the refusal's, else the
        /// finish chunk).</summary>
        private void AddChoice(JsonElement choice, int position)
        {
            var index = choice.TryGetProperty("index"u8, out var i) && i.TryGetInt32(out var value) ? value : position;
            var message = choice.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            JsonElement? logprobs = choice.TryGetProperty("logprobs"u8, out var l) && l.ValueKind == JsonValueKind.Object ? l : null;
            var content = Member(message, "content"u8);
            var refusal = Member(message, "refusal"u8);

            var writer = BeginChoice(index);
            writer.WriteString("role"u8, Member(message, "role"u8) is { ValueKind: JsonValueKind.String } role ? role.GetString() : "assistant");
            // OpenAI opens a text answer with "" and a tool-call-only answer with null, as the message has them.
            if (content.ValueKind == JsonValueKind.String)
            {
                writer.WriteString("content"u8, string.Empty);
            }
            else
            {
                writer.WriteNull("content"u8);
            }

            writer.WriteNull("refusal"u8);
            EndChoice(null, finishReason: default);

            if (message.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in message.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.Null
                        && !(property.NameEquals("role"u8) || property.NameEquals("content"u8) || property.NameEquals("refusal"u8)
                            || property.NameEquals("tool_calls"u8) || property.NameEquals("annotations"u8)))
                    {
                        BeginChoice(index);
                        property.WriteTo(_writer);
                        EndChoice(null, finishReason: default);
                    }
                }
            }

            if (AddText(index, "content"u8, content, logprobs))
            {
                logprobs = null;
            }

            if (AddText(index, "refusal"u8, refusal, logprobs))
            {
                logprobs = null;
            }

            if (Member(message, "annotations"u8) is { ValueKind: JsonValueKind.Array } annotations && annotations.GetArrayLength() > 0)
            {
                BeginChoice(index).WritePropertyName("annotations"u8);
                annotations.WriteTo(_writer);
                EndChoice(null, finishReason: default);
            }

            if (Member(message, "tool_calls"u8) is { ValueKind: JsonValueKind.Array } calls)
            {
                var callIndex = 0;
                foreach (var call in calls.EnumerateArray())
                {
                    if (call.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    BeginChoice(index).WriteStartArray("tool_calls"u8);
                    _writer.WriteStartObject();
                    _writer.WriteNumber("index"u8, callIndex++);
                    foreach (var property in call.EnumerateObject())
                    {
                        if (!property.NameEquals("index"u8))
                        {
                            property.WriteTo(_writer);
                        }
                    }

                    _writer.WriteEndObject();
                    _writer.WriteEndArray();
                    EndChoice(null, finishReason: default);
                }
            }

            BeginChoice(index);
            EndChoice(logprobs, Member(choice, "finish_reason"u8));
        }

        /// <summary>A chunk with the whole content (or refusal), when there is any; false when there is none.</summary>
        private bool AddText(int index, ReadOnlySpan<byte> name, JsonElement text, JsonElement? logprobs)
        {
            if (text.ValueKind != JsonValueKind.String || text.GetString() is not { Length: > 0 } value)
            {
                return false;
            }

            BeginChoice(index).WriteString(name, value);
            EndChoice(logprobs, finishReason: default);
            return true;
        }

        /// <summary>The chunk <c>include_usage</c> adds: no choices, the completion's usage (or, when its body had
        /// none, the counts known of the entry).</summary>
        private void AddUsage(UsageCounts? counts)
        {
            var usage = Member(_root, "usage"u8);
            if (usage.ValueKind != JsonValueKind.Object && counts is null)
            {
                return;
            }

            WriteHeader();
            _writer.WriteStartArray("choices"u8);
            _writer.WriteEndArray();
            if (usage.ValueKind == JsonValueKind.Object)
            {
                _writer.WritePropertyName("usage"u8);
                usage.WriteTo(_writer);
            }
            else if (counts is { } c)
            {
                _writer.WriteStartObject("usage"u8);
                _writer.WriteNumber("prompt_tokens"u8, c.PromptTokens);
                _writer.WriteNumber("completion_tokens"u8, c.CompletionTokens);
                _writer.WriteNumber("total_tokens"u8, c.TotalTokens);
                _writer.WriteStartObject("prompt_tokens_details"u8);
                _writer.WriteNumber("cached_tokens"u8, c.CachedTokens);
                _writer.WriteEndObject();
                _writer.WriteStartObject("completion_tokens_details"u8);
                _writer.WriteNumber("reasoning_tokens"u8, c.ReasoningTokens);
                _writer.WriteEndObject();
                _writer.WriteEndObject();
            }

            _writer.WriteEndObject();
            Flush();
        }

        /// <summary>Starts a chunk with one choice and leaves the writer inside its <c>delta</c>.</summary>
        private Utf8JsonWriter BeginChoice(int index)
        {
            WriteHeader();
            _writer.WriteStartArray("choices"u8);
            _writer.WriteStartObject();
            _writer.WriteNumber("index"u8, index);
            _writer.WriteStartObject("delta"u8);
            return _writer;
        }

        private void EndChoice(JsonElement? logprobs, JsonElement finishReason)
        {
            _writer.WriteEndObject();
            _writer.WritePropertyName("logprobs"u8);
            if (logprobs is { } value)
            {
                value.WriteTo(_writer);
            }
            else
            {
                _writer.WriteNullValue();
            }

            _writer.WritePropertyName("finish_reason"u8);
            if (finishReason.ValueKind == JsonValueKind.String)
            {
                finishReason.WriteTo(_writer);
            }
            else
            {
                _writer.WriteNullValue();
            }

            _writer.WriteEndObject();
            _writer.WriteEndArray();
            // With include_usage OpenAI writes "usage": null on every chunk but the last.
            if (_includeUsage)
            {
                _writer.WriteNull("usage"u8);
            }

            _writer.WriteEndObject();
            Flush();
        }

        private void WriteHeader()
        {
            _writer.WriteStartObject();
            WriteMember("id"u8);
            _writer.WriteString("object"u8, "chat.completion.chunk"u8);
            WriteMember("created"u8);
            WriteMember("model"u8);
            WriteMember("service_tier"u8);
            WriteMember("system_fingerprint"u8);
        }

        /// <summary>Copies a top-level member of the completion when it has a value.</summary>
        private void WriteMember(ReadOnlySpan<byte> name)
        {
            if (_root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                _writer.WritePropertyName(name);
                value.WriteTo(_writer);
            }
        }

        private void Flush()
        {
            _writer.Flush();
            _chunks.Add(_buffer.WrittenSpan.ToArray());
            _buffer.ResetWrittenCount();
            _writer.Reset();
        }
    }

    private static JsonElement Member(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static void Append(ref StringBuilder? text, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            (text ??= new StringBuilder()).Append(value.GetString());
        }
    }

    private static void AddAll(ref List<JsonElement>? items, JsonElement array)
    {
        if (array.ValueKind == JsonValueKind.Array)
        {
            items ??= [];
            foreach (var item in array.EnumerateArray())
            {
                items.Add(item);
            }
        }
    }

    private static void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> name, StringBuilder? text)
    {
        if (text is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, text.ToString());
        }
    }

    /// <summary>The items, or null when no delta carried the array.</summary>
    private static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<byte> name, List<JsonElement>? items)
    {
        if (items is null)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
    }
}
