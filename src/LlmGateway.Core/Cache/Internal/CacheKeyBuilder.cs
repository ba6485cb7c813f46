using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// The cache key of a request: a SHA-256 of its canonical form, everything that changes the answer and nothing else.
/// </summary>
/// <remarks>
/// <para>What is hashed: the UTF-8 bytes <c>"v1\n" + operation + "\n"</c> (operation <c>chat.completions</c>,
/// <c>embeddings</c>, ...; <c>chat.completions+semantic</c> for <see cref="SemanticParts"/>) followed by the canonical JSON:</para>
/// <list type="bullet">
/// <item>objects with their members sorted by name, ordinally on the unescaped UTF-8 bytes (code point order), at every
/// depth; members of the same name keep their order; arrays in order; no whitespace;</item>
/// <item>strings (names too) as their unescaped value written by <see cref="Utf8JsonWriter"/> with
/// <see cref="JavaScriptEncoder.Default"/>: ASCII only, control, HTML-sensitive and non-ASCII characters as
/// <c>\uXXXX</c> (upper-case hex) but for the short forms <c>\n \r \t \b \f \\</c>. This encoder's ranges never change,
/// so neither do keys;</item>
/// <item>numbers by their exact decimal value, not rounded through <c>decimal</c> or <c>double</c> (a 30-digit seed stays
/// distinct): the significant digits as an integer, and if the power of ten is not 0, <c>e</c> and that power:
/// <c>1</c>, <c>1.0</c>, <c>1e0</c>, <c>10e-1</c> are <c>1</c>; <c>100</c> is <c>1e2</c>; <c>0.5</c> is <c>5e-1</c>;
/// <c>-1.25</c> is <c>-125e-2</c>; any zero is <c>0</c>. A number whose exponent has more than 15 digits is kept as sent;</item>
/// <item><c>true</c>, <c>false</c>, <c>null</c> as they are;</item>
/// <item>at the top level, <c>model</c> is the resolved model (present even if the body has none) and <c>stream</c>,
/// <c>stream_options</c>, <c>user</c>, <c>fallbacks</c>, <c>metadata</c> are left out.</item>
/// </list>
/// <para>A body that is not a JSON object is hashed as <c>"v1\n" + operation + "\nraw\n"</c> and its bytes.</para>
/// <para>The canonical JSON is never held whole: the writer's output is hashed as it is flushed (a small pooled buffer).</para>
/// </remarks>
internal static class CacheKeyBuilder
{
    /// <summary>The format version, part of every key: a change of what is hashed or how entries are stored bumps it, so
    /// old entries are never read wrongly.</summary>
    public const string Version = "v1";

    // As RequestPeek, which the pipeline runs first.
    private const int MaxDepth = RequestJson.MaxDepth;

    // A number whose exponent is longer than this is written as sent rather than overflow the arithmetic.
    private const int MaxExponentDigits = 15;

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Orders members by unescaped name (UTF-8 bytes, ordinal), then position. A cached delegate: sorting with
    /// it allocates nothing (a comparer struct would be boxed and wrapped in a new delegate on every sort).</summary>
    private static readonly Comparison<Member> s_memberOrder = static (x, y) =>
    {
        var result = CompareNames(JsonMarshal.GetRawUtf8PropertyName(x.Property), JsonMarshal.GetRawUtf8PropertyName(y.Property));
        return result != 0 ? result : x.Position.CompareTo(y.Position);
    };

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.Default,
        Indented = false,
        MaxDepth = MaxDepth + 1,
        SkipValidation = true,
    };

    /// <summary>
    /// The lower-case hex SHA-256 of the canonical request: the body's JSON with object keys sorted (ordinal) at every
    /// depth, no insignificant whitespace, numbers and strings as parsed values, <c>model</c> replaced by
    /// <paramref name="resolvedModel"/>, and the top-level <c>stream</c>, <c>stream_options</c>, <c>user</c>,
    /// <c>fallbacks</c> and <c>metadata</c> left out. With <paramref name="normalize"/>, message text (string contents
    /// and text parts; embeddings <c>input</c> strings) has runs of whitespace collapsed to one space, is trimmed and
    /// lower-cased (invariant).
    /// </summary>
    public static string Hash(ReadOnlySpan<byte> body, GatewayOperation operation, string resolvedModel, bool normalize)
    {
        ArgumentNullException.ThrowIfNull(resolvedModel);
        return Compute(body, operation, resolvedModel, normalize, semantic: false, out _);
    }

    /// <summary>
    /// For the semantic strategy: the hash of the canonical request with the last user message's text left out (what
    /// must match exactly: model, parameters, the conversation before it), and that text (string content, or its text
    /// parts joined with a newline); the text is null when there is no user message with text.
    /// </summary>
    public static (string ContextHash, string? LastUserText) SemanticParts(ReadOnlySpan<byte> body, string resolvedModel)
    {
        ArgumentNullException.ThrowIfNull(resolvedModel);
        var hash = Compute(body, GatewayOperation.ChatCompletions, resolvedModel, normalize: false, semantic: true, out var text);
        return (hash, text);
    }

    /// <summary>Whether a chat request asks for a deterministic answer: <c>temperature</c> present and 0.</summary>
    public static bool IsDeterministic(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var isZero = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTemperature = reader.ValueTextEquals("temperature"u8);
                reader.Read();
                if (isTemperature)
                {
                    // The last one wins, as in the parsers upstream.
                    isZero = reader.TokenType == JsonTokenType.Number && IsZero(reader.ValueSpan);
                }

                reader.Skip();
            }

            return isZero;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Compute(ReadOnlySpan<byte> body, GatewayOperation operation, string resolvedModel, bool normalize, bool semantic, out string? lastUserText)
    {
        lastUserText = null;
        using var sink = new HashingBufferWriter();
        AppendPrefix(sink, operation, semantic);

        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        var writer = new Utf8JsonWriter(sink, s_writerOptions);
        var canonical = false;
        try
        {
            body.CopyTo(copy);
            using var document = JsonDocument.Parse(copy.AsMemory(0, body.Length), s_documentOptions);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var canonicalizer = new Canonicalizer(writer, operation, normalize);
                try
                {
                    if (semantic)
                    {
                        canonicalizer.SkipContentOf = FindLastUserMessage(root, out var message);
                        if (canonicalizer.SkipContentOf >= 0)
                        {
                            lastUserText = TextOf(message);
                        }
                    }

                    canonicalizer.WriteRoot(root, resolvedModel);
                    writer.Flush();
                    canonical = true;
                }
                finally
                {
                    canonicalizer.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, or text no writer accepts (a lone surrogate): hashed as bytes below.
            lastUserText = null;
        }
        finally
        {
            writer.Dispose();
            ArrayPool<byte>.Shared.Return(copy);
        }

        if (!canonical)
        {
            sink.Restart();
            AppendPrefix(sink, operation, semantic);
            sink.Append("raw\n"u8);
            sink.Append(body);
        }

        return sink.ToHex();
    }

    private static void AppendPrefix(HashingBufferWriter sink, GatewayOperation operation, bool semantic)
    {
        sink.Append("v1\n"u8);
        sink.Append(operation switch
        {
            GatewayOperation.ChatCompletions when semantic => "chat.completions+semantic"u8,
            GatewayOperation.ChatCompletions => "chat.completions"u8,
            GatewayOperation.Embeddings => "embeddings"u8,
            GatewayOperation.AudioSpeech => "audio.speech"u8,
            GatewayOperation.AudioTranscriptions => "audio.transcriptions"u8,
            GatewayOperation.AudioTranslations => "audio.translations"u8,
            GatewayOperation.Responses => "responses"u8,
            _ => Encoding.UTF8.GetBytes(operation.ToString()),
        });
        sink.Append("\n"u8);
    }

    /// <summary>The index of the last message whose role is <c>user</c>, or -1.</summary>
    private static int FindLastUserMessage(JsonElement root, out JsonElement message)
    {
        message = default;
        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return -1;
        }

        var index = -1;
        var i = 0;
        foreach (var item in messages.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("role"u8, out var role)
                && role.ValueKind == JsonValueKind.String
                && role.ValueEquals("user"u8))
            {
                index = i;
                message = item;
            }

            i++;
        }

        return index;
    }

    private static string? TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            var text = content.GetString();
            return string.IsNullOrEmpty(text) ? null : text;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? single = null;
        StringBuilder? joined = null;
        foreach (var part in content.EnumerateArray())
        {
            if (!IsTextPart(part) || !part.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            if (single is null)
            {
                single = text.GetString();
            }
            else
            {
                joined ??= new StringBuilder(single);
                joined.Append('\n').Append(text.GetString());
            }
        }

        var result = joined?.ToString() ?? single;
        return string.IsNullOrEmpty(result) ? null : result;
    }

    private static bool IsTextPart(JsonElement part) =>
        part.ValueKind == JsonValueKind.Object
        && part.TryGetProperty("type"u8, out var type)
        && type.ValueKind == JsonValueKind.String
        && type.ValueEquals("text"u8);

    private static bool IsZero(ReadOnlySpan<byte> number)
    {
        foreach (var b in number)
        {
            if (b is (byte)'e' or (byte)'E')
            {
                break;
            }

            if (b is >= (byte)'1' and <= (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes a number's canonical form (see the class remarks) to <paramref name="destination"/>, which holds at least
    /// <paramref name="number"/>'s length plus 20 bytes; returns the length, or -1 when the exponent is too long.
    /// </summary>
    internal static int CanonicalNumber(ReadOnlySpan<byte> number, Span<byte> destination)
    {
        var i = 0;
        var negative = number[0] == (byte)'-';
        if (negative)
        {
            i++;
        }

        var integerStart = i;
        while (i < number.Length && IsDigit(number[i]))
        {
            i++;
        }

        var integer = number[integerStart..i];
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < number.Length && number[i] == (byte)'.')
        {
            var fractionStart = ++i;
            while (i < number.Length && IsDigit(number[i]))
            {
                i++;
            }

            fraction = number[fractionStart..i];
        }

        long exponent = 0;
        if (i < number.Length && (number[i] | 0x20) == (byte)'e')
        {
            i++;
            var negativeExponent = false;
            if (number[i] is (byte)'+' or (byte)'-')
            {
                negativeExponent = number[i] == (byte)'-';
                i++;
            }

            while (i < number.Length && number[i] == (byte)'0')
            {
                i++;
            }

            if (number.Length - i > MaxExponentDigits)
            {
                return -1;
            }

            for (; i < number.Length; i++)
            {
                exponent = (exponent * 10) + (number[i] - '0');
            }

            if (negativeExponent)
            {
                exponent = -exponent;
            }
        }

        // The significant digits are integer ++ fraction, scaled by 10^(exponent - fraction.Length).
        exponent -= fraction.Length;
        var written = 0;
        var trailingZeros = 0;
        for (var d = 0; d < integer.Length + fraction.Length; d++)
        {
            var digit = d < integer.Length ? integer[d] : fraction[d - integer.Length];
            if (written == 0 && digit == (byte)'0')
            {
                continue; // leading zero
            }

            if (written == 0 && negative)
            {
                destination[written++] = (byte)'-';
            }

            destination[written++] = digit;
            trailingZeros = digit == (byte)'0' ? trailingZeros + 1 : 0;
        }

        if (written == 0)
        {
            destination[0] = (byte)'0';
            return 1;
        }

        written -= trailingZeros;
        exponent += trailingZeros;
        if (exponent != 0)
        {
            destination[written++] = (byte)'e';
            exponent.TryFormat(destination[written..], out var exponentLength, default, System.Globalization.CultureInfo.InvariantCulture);
            written += exponentLength;
        }

        return written;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    /// <summary>A property of the object being written, kept with its position so that equal names keep their order.</summary>
    private readonly record struct Member(JsonProperty Property, int Position);

    /// <summary>Compares two raw (possibly escaped) names by their unescaped UTF-8 bytes.</summary>
    private static int CompareNames(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (!x.Contains((byte)'\\') && !y.Contains((byte)'\\'))
        {
            return x.SequenceCompareTo(y);
        }

        byte[]? rentedX = null;
        byte[]? rentedY = null;
        try
        {
            Span<byte> bufferX = x.Length <= 256 ? stackalloc byte[x.Length] : (rentedX = ArrayPool<byte>.Shared.Rent(x.Length));
            Span<byte> bufferY = y.Length <= 256 ? stackalloc byte[y.Length] : (rentedY = ArrayPool<byte>.Shared.Rent(y.Length));
            return bufferX[..Unescape(x, bufferX)].SequenceCompareTo(bufferY[..Unescape(y, bufferY)]);
        }
        finally
        {
            if (rentedX is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedX);
            }

            if (rentedY is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedY);
            }
        }
    }

    /// <summary>Unescapes the raw text of a JSON string (no quotes) into <paramref name="destination"/>, which is at
    /// least as long; returns the length.</summary>
    private static int Unescape(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        if (!raw.Contains((byte)'\\'))
        {
            raw.CopyTo(destination);
            return raw.Length;
        }

        var quoted = ArrayPool<byte>.Shared.Rent(raw.Length + 2);
        try
        {
            quoted[0] = (byte)'"';
            raw.CopyTo(quoted.AsSpan(1));
            quoted[raw.Length + 1] = (byte)'"';
            var reader = new Utf8JsonReader(quoted.AsSpan(0, raw.Length + 2));
            reader.Read();
            return reader.CopyString(destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(quoted);
        }
    }

    /// <summary>Where the value being written sits in an OpenAI request: which text is normalized, which content is left out.</summary>
    private enum Place
    {
        Other,
        Message,
        SkippedMessage,
        ContentPart,
        TextPart,
    }

    /// <summary>Writes one document's canonical form; holds the pooled scratch buffers of that one call.</summary>
    private sealed class Canonicalizer(Utf8JsonWriter writer, GatewayOperation operation, bool normalize) : IDisposable
    {
        private Member[] _members = ArrayPool<Member>.Shared.Rent(64);
        private int _memberCount;
        private byte[] _bytes = [];
        private char[] _chars = [];

        /// <summary>The index in <c>messages</c> of the message whose <c>content</c> is left out, or -1.</summary>
        public int SkipContentOf { get; set; } = -1;

        public void WriteRoot(JsonElement root, string resolvedModel)
        {
            var start = _memberCount;
            foreach (var property in root.EnumerateObject())
            {
                if (!property.NameEquals("model"u8) && !IsLeftOut(property))
                {
                    Push(property);
                }
            }

            var members = Sort(start);
            writer.WriteStartObject();
            var modelWritten = false;
            for (var i = start; i < start + members; i++)
            {
                var property = _members[i].Property;
                if (!modelWritten && CompareNames(JsonMarshal.GetRawUtf8PropertyName(property), "model"u8) > 0)
                {
                    writer.WriteString("model"u8, resolvedModel);
                    modelWritten = true;
                }

                WriteName(property);
                if (property.NameEquals("messages"u8) && operation == GatewayOperation.ChatCompletions && property.Value.ValueKind == JsonValueKind.Array)
                {
                    WriteMessages(property.Value);
                }
                else if (normalize && property.NameEquals("input"u8) && operation == GatewayOperation.Embeddings)
                {
                    WriteInput(property.Value);
                }
                else
                {
                    WriteValue(property.Value);
                }
            }

            if (!modelWritten)
            {
                writer.WriteString("model"u8, resolvedModel);
            }

            writer.WriteEndObject();
            _memberCount = start;
        }

        public void Dispose()
        {
            ArrayPool<Member>.Shared.Return(_members, clearArray: true);
            _members = [];
            Return(ref _bytes);
            Return(ref _chars);
        }

        private static bool IsLeftOut(JsonProperty property) =>
            property.NameEquals("stream"u8)
            || property.NameEquals("stream_options"u8)
            || property.NameEquals("user"u8)
            || property.NameEquals("fallbacks"u8)
            || property.NameEquals("metadata"u8);

        private void WriteMessages(JsonElement messages)
        {
            writer.WriteStartArray();
            var i = 0;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object)
                {
                    WriteObject(message, i == SkipContentOf ? Place.SkippedMessage : Place.Message);
                }
                else
                {
                    WriteValue(message);
                }

                i++;
            }

            writer.WriteEndArray();
        }

        private void WriteInput(JsonElement input)
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                WriteNormalized(input);
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray();
                foreach (var item in input.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String)
                    {
                        WriteNormalized(item);
                    }
                    else
                    {
                        WriteValue(item);
                    }
                }

                writer.WriteEndArray();
            }
            else
            {
                WriteValue(input);
            }
        }

        private void WriteValue(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    WriteObject(value, Place.Other);
                    break;
                case JsonValueKind.Array:
                    writer.WriteStartArray();
                    foreach (var item in value.EnumerateArray())
                    {
                        WriteValue(item);
                    }

                    writer.WriteEndArray();
                    break;
                case JsonValueKind.String:
                    WriteString(value);
                    break;
                case JsonValueKind.Number:
                    WriteNumber(JsonMarshal.GetRawUtf8Value(value));
                    break;
                case JsonValueKind.True:
                    writer.WriteBooleanValue(true);
                    break;
                case JsonValueKind.False:
                    writer.WriteBooleanValue(false);
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
        }

        private void WriteObject(JsonElement value, Place place)
        {
            var start = _memberCount;
            foreach (var property in value.EnumerateObject())
            {
                if (place != Place.SkippedMessage || !property.NameEquals("content"u8))
                {
                    Push(property);
                }
            }

            if (place == Place.ContentPart && IsTextPart(value))
            {
                place = Place.TextPart;
            }

            var members = Sort(start);
            writer.WriteStartObject();
            for (var i = start; i < start + members; i++)
            {
                var property = _members[i].Property;
                WriteName(property);
                var child = property.Value;
                if (place == Place.Message && normalize && property.NameEquals("content"u8))
                {
                    WriteContent(child);
                }
                else if (place == Place.TextPart && normalize && child.ValueKind == JsonValueKind.String && property.NameEquals("text"u8))
                {
                    WriteNormalized(child);
                }
                else
                {
                    WriteValue(child);
                }
            }

            writer.WriteEndObject();
            _memberCount = start;
        }

        private void WriteContent(JsonElement content)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                WriteNormalized(content);
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object)
                    {
                        WriteObject(part, Place.ContentPart);
                    }
                    else
                    {
                        WriteValue(part);
                    }
                }

                writer.WriteEndArray();
            }
            else
            {
                WriteValue(content);
            }
        }

        private void Push(JsonProperty property)
        {
            if (_memberCount == _members.Length)
            {
                var larger = ArrayPool<Member>.Shared.Rent(_members.Length * 2);
                _members.AsSpan(0, _memberCount).CopyTo(larger);
                ArrayPool<Member>.Shared.Return(_members, clearArray: true);
                _members = larger;
            }

            _members[_memberCount] = new Member(property, _memberCount);
            _memberCount++;
        }

        /// <summary>Sorts the members pushed since <paramref name="start"/>; returns how many there are.</summary>
        private int Sort(int start)
        {
            var count = _memberCount - start;
            if (count > 1)
            {
                _members.AsSpan(start, count).Sort(s_memberOrder);
            }

            return count;
        }

        private void WriteName(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (!raw.Contains((byte)'\\'))
            {
                writer.WritePropertyName(raw);
                return;
            }

            var buffer = Bytes(raw.Length);
            writer.WritePropertyName(buffer.AsSpan(0, Unescape(raw, buffer)));
        }

        private void WriteString(JsonElement value)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
            if (!raw.Contains((byte)'\\'))
            {
                writer.WriteStringValue(raw);
                return;
            }

            var buffer = Bytes(raw.Length);
            writer.WriteStringValue(buffer.AsSpan(0, Unescape(raw, buffer)));
        }

        /// <summary>Writes a string with runs of whitespace collapsed to one space, trimmed, lower-cased (invariant).</summary>
        private void WriteNormalized(JsonElement value)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
            var utf8 = raw;
            if (raw.Contains((byte)'\\'))
            {
                var buffer = Bytes(raw.Length);
                utf8 = buffer.AsSpan(0, Unescape(raw, buffer));
            }

            // UTF-16 never takes more code units than UTF-8 bytes; the second half receives the lower-cased copy.
            var chars = Chars(utf8.Length * 2);
            var decoded = Encoding.UTF8.GetChars(utf8, chars);
            var length = 0;
            var pendingSpace = false;
            for (var i = 0; i < decoded; i++)
            {
                var c = chars[i];
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    chars[length++] = ' ';
                    pendingSpace = false;
                }

                chars[length++] = c;
            }

            var lowered = chars.AsSpan(utf8.Length, length);
            MemoryExtensions.ToLowerInvariant(chars.AsSpan(0, length), lowered);
            writer.WriteStringValue(lowered);
        }

        private void WriteNumber(ReadOnlySpan<byte> raw)
        {
            var buffer = Bytes(raw.Length + 20);
            var length = CanonicalNumber(raw, buffer);
            writer.WriteRawValue(length < 0 ? raw : buffer.AsSpan(0, length), skipInputValidation: true);
        }

        private byte[] Bytes(int length)
        {
            if (_bytes.Length < length)
            {
                Return(ref _bytes);
                _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));
            }

            return _bytes;
        }

        private char[] Chars(int length)
        {
            if (_chars.Length < length)
            {
                Return(ref _chars);
                _chars = ArrayPool<char>.Shared.Rent(Math.Max(length, 256));
            }

            return _chars;
        }

        private static void Return<T>(ref T[] array)
        {
            if (array.Length > 0)
            {
                ArrayPool<T>.Shared.Return(array);
            }

            array = [];
        }
    }

    /// <summary>
    /// An <see cref="IBufferWriter{T}"/> that hashes what is committed to it and reuses one pooled buffer, so the
    /// canonical form of a large body never exists in memory whole.
    /// </summary>
    private sealed class HashingBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

        public void Advance(int count) => _hash.AppendData(_buffer, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (sizeHint > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
            }

            return _buffer;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        /// <summary>Discards what was hashed so far.</summary>
        public void Restart()
        {
            Span<byte> discarded = stackalloc byte[SHA256.HashSizeInBytes];
            _hash.GetHashAndReset(discarded);
        }

        public string ToHex()
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            _hash.GetHashAndReset(hash);
            return Convert.ToHexStringLower(hash);
        }

        public void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
