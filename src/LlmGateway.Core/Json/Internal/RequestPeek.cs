using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// What the gateway needs from a request body, read in one forward pass with <see cref="Utf8JsonReader"/> and no
/// DOM: the model (and where its value sits, for a rewrite), the stream flags, the output budget, and a check of the
/// parameters it knows, so a client's mistake is a 400 that names the field before anything is forwarded or counted.
/// </summary>
/// <remarks>
/// The body must be UTF-8 with no escaped lone surrogate and nest at most <see cref="RequestJson.MaxDepth"/> deep
/// (<see cref="RequestJson"/>); a member the gateway reads may appear once (one bit each, no set); a model name (and
/// each <c>fallbacks</c> entry) may hold no control character; numbers must be in OpenAI's own ranges.
/// </remarks>
internal readonly struct RequestPeek
{
    // The longest known name (max_completion_tokens, 21 characters) written entirely in \u escapes.
    private const int MaxEscapedNameLength = 21 * 6;

    private static readonly string[] s_names =
    [
        string.Empty, "model", "stream", "stream_options", "fallbacks", "messages", "input", "voice", "previous_response_id",
        "prompt", "conversation", "max_tokens", "max_completion_tokens", "max_output_tokens", "n", "temperature", "top_p",
        "presence_penalty", "frequency_penalty", "top_logprobs", "dimensions", "speed", "seed", "response_format", "logprobs",
        "parallel_tool_calls", "store", "user", "encoding_format", "reasoning_effort", "service_tier", "instructions", "tools",
        "modalities", "logit_bias", "metadata", "stop", "tool_choice", "cached_content",
    ];

    private static readonly byte[][] s_nameBytes = Array.ConvertAll(s_names, Encoding.UTF8.GetBytes);

    private RequestPeek(GatewayError error)
    {
        Error = error;
        Model = string.Empty;
    }

    private RequestPeek(string model, int modelStart, int modelLength, bool stream, bool includeUsage, bool isMultipart = false)
    {
        Model = model;
        ModelStart = modelStart;
        ModelLength = modelLength;
        Stream = stream;
        IncludeUsage = includeUsage;
        IsMultipart = isMultipart;
    }

    public GatewayError? Error { get; }

    public string Model { get; }

    /// <summary>Gets the offset of the model's JSON string token, quotes included.</summary>
    public int ModelStart { get; }

    /// <summary>Gets the length of the model's JSON string token, quotes included.</summary>
    public int ModelLength { get; }

    public bool Stream { get; }

    public bool IncludeUsage { get; }

    /// <summary>Whether the body has a <c>stream_options</c> member at all (even one without <c>include_usage</c>).</summary>
    public bool HasStreamOptions { get; init; }

    /// <summary>Gets a value indicating whether the body is multipart: the model's value is raw text, not a JSON string.</summary>
    public bool IsMultipart { get; }

    /// <summary>Gets the output budget the body asks for (<c>max_completion_tokens</c>, else <c>max_tokens</c>, else
    /// <c>max_output_tokens</c>), validated as 1 to 2147483647; null when it sets none.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Gets the Responses request's <c>previous_response_id</c>, when it names one: a stored response the caller
    /// must own.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>Gets the Responses request's <c>conversation</c> id (the string, or the object's <c>id</c>), when it names
    /// one: a conversation kept by the upstream account, which the gateway never creates.</summary>
    public string? Conversation { get; init; }

    /// <summary>Gets the request's <c>cached_content</c>, when it names one: a Gemini context cache the caller must own.</summary>
    public string? CachedContent { get; init; }

    /// <summary>Gets the request's own <c>fallbacks</c> (model names to try after the first), removed before the body goes upstream.</summary>
    public IReadOnlyList<string>? Fallbacks { get; init; }

    public static RequestPeek Failed(GatewayError error) => new(error);

    public static RequestPeek Multipart(string model, int modelStart, int modelLength, bool stream) =>
        new(model, modelStart, modelLength, stream, includeUsage: false, isMultipart: true);

    public static RequestPeek Read(ReadOnlySpan<byte> body, GatewayOperation operation)
    {
        if (RequestJson.CheckText(body) is { } textError)
        {
            return new RequestPeek(textError);
        }

        var reader = new Utf8JsonReader(body, RequestJson.ReaderOptions);
        try
        {
            return ReadCore(ref reader, operation);
        }
        catch (JsonException ex)
        {
            return RequestJson.IsTooDeep(body, reader.CurrentDepth)
                ? new RequestPeek(RequestJson.TooDeep())
                : Fail(GatewayErrorKind.InvalidJson, $"The request body is not valid JSON: {ex.Message}");
        }
    }

    private static RequestPeek ReadCore(ref Utf8JsonReader reader, GatewayOperation operation)
    {
        if (!reader.Read())
        {
            return Fail(GatewayErrorKind.InvalidJson, "The request body is empty; it must be a JSON object.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Fail(GatewayErrorKind.InvalidRequest, "The request body must be a JSON object.");
        }

        string? model = null;
        int modelStart = 0, modelLength = 0;
        bool stream = false, includeUsage = false, hasStreamOptions = false, hasMessages = false, hasInput = false, hasVoice = false, hasContext = false;
        int? maxTokens = null, maxCompletionTokens = null, maxOutputTokens = null;
        List<string>? fallbacks = null;
        string? previousResponseId = null, cachedContent = null, conversation = null;

        // One bit per member the gateway reads or checks: a second one is refused, since a parser behind the gateway
        // may read the other value (the last, where the gateway checked the first).
        ulong seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Identify(ref reader);
            if (field != Field.None)
            {
                var bit = 1UL << (int)field;
                if ((seen & bit) != 0)
                {
                    return new RequestPeek(Duplicate(Name(field)));
                }

                seen |= bit;
            }

            reader.Read();
            GatewayError? error = null;
            switch (field)
            {
                case Field.Model:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return WrongType("model", "a string");
                    }

                    model = reader.GetString()!;
                    error = CheckModelName(model, "model");
                    modelStart = (int)reader.TokenStartIndex;
                    modelLength = (int)reader.BytesConsumed - modelStart;
                    break;
                case Field.Stream:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                    {
                        return WrongType("stream", "a boolean");
                    }

                    stream = reader.TokenType == JsonTokenType.True;
                    break;
                case Field.StreamOptions:
                    hasStreamOptions = true;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        error = ReadStreamOptions(ref reader, out includeUsage);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return WrongType("stream_options", "an object");
                    }

                    break;
                case Field.Fallbacks:
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        break;
                    }

                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return WrongType("fallbacks", "an array of model names");
                    }

                    fallbacks = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        var param = $"fallbacks[{fallbacks.Count}]";
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            return WrongType(param, "a string");
                        }

                        var fallback = reader.GetString()!;
                        if (CheckModelName(fallback, param) is { } invalid)
                        {
                            return new RequestPeek(invalid);
                        }

                        fallbacks.Add(fallback);
                    }

                    break;
                case Field.Messages when operation == GatewayOperation.ChatCompletions:
                    error = ReadMessages(ref reader);
                    hasMessages = true;
                    break;
                case Field.Input when operation == GatewayOperation.AudioSpeech:
                case Field.Voice when operation == GatewayOperation.AudioSpeech:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return WrongType(Name(field), "a string");
                    }

                    hasInput |= field == Field.Input;
                    hasVoice |= field == Field.Voice;
                    break;
                case Field.Input when operation is GatewayOperation.Embeddings or GatewayOperation.Responses:
                    if (operation == GatewayOperation.Responses && reader.TokenType == JsonTokenType.Null)
                    {
                        break; // as if absent
                    }

                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
                    {
                        return WrongType("input", "a string or an array");
                    }

                    reader.Skip();
                    hasInput = true;
                    break;
                case Field.PreviousResponseId when operation == GatewayOperation.Responses:
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                    {
                        return WrongType("previous_response_id", "a string");
                    }

                    hasContext |= reader.TokenType != JsonTokenType.Null;
                    previousResponseId = reader.TokenType == JsonTokenType.String ? NonEmpty(reader.GetString()) : null;
                    break;
                case Field.Conversation when operation == GatewayOperation.Responses:
                    hasContext |= reader.TokenType != JsonTokenType.Null;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        conversation = NonEmpty(reader.GetString());
                    }
                    else if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        error = ReadConversationId(ref reader, out conversation);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return WrongType("conversation", "a string or an object");
                    }

                    break;
                case Field.PreviousResponseId or Field.Prompt or Field.Conversation:
                    hasContext |= reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                    break;
                case Field.CachedContent:
                    // Another type is left to the provider that reads the field (Gemini answers it with a 400).
                    cachedContent = operation is GatewayOperation.ChatCompletions or GatewayOperation.Responses && reader.TokenType == JsonTokenType.String
                        ? NonEmpty(reader.GetString())
                        : null;
                    reader.Skip();
                    break;
                case Field.MaxTokens:
                    error = ReadOutputTokens(ref reader, "max_tokens", ref maxTokens);
                    break;
                case Field.MaxCompletionTokens:
                    error = ReadOutputTokens(ref reader, "max_completion_tokens", ref maxCompletionTokens);
                    break;
                case Field.MaxOutputTokens:
                    error = ReadOutputTokens(ref reader, "max_output_tokens", ref maxOutputTokens);
                    break;
                default:
                    error = CheckKnownParameter(ref reader, field, operation);
                    break;
            }

            if (error is not null)
            {
                return new RequestPeek(error);
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return Fail(GatewayErrorKind.InvalidJson, "The request body is not valid JSON.");
        }

        if (reader.Read())
        {
            return Fail(GatewayErrorKind.InvalidJson, "The request body has content after its JSON object.");
        }

        if (string.IsNullOrEmpty(model))
        {
            return Fail(GatewayErrorKind.MissingParameter, "You must provide a model parameter.", "model");
        }

        if (operation == GatewayOperation.ChatCompletions && !hasMessages)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'messages'.", "messages");
        }

        if (operation is GatewayOperation.Embeddings or GatewayOperation.AudioSpeech && !hasInput)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'input'.", "input");
        }

        // The Responses API continues a conversation kept at OpenAI (previous_response_id, conversation) or a stored
        // prompt without new input; anything else has nothing to answer.
        if (operation == GatewayOperation.Responses && !hasInput && !hasContext)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'input' (it may be left out only with 'previous_response_id', 'conversation' or 'prompt').", "input");
        }

        if (operation == GatewayOperation.AudioSpeech && !hasVoice)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'voice'.", "voice");
        }

        return new RequestPeek(model, modelStart, modelLength, stream, includeUsage)
        {
            Fallbacks = fallbacks,
            HasStreamOptions = hasStreamOptions,
            MaxOutputTokens = maxCompletionTokens ?? maxTokens ?? maxOutputTokens,
            PreviousResponseId = previousResponseId,
            CachedContent = cachedContent,
            Conversation = conversation,
        };
    }

    /// <summary>The <c>id</c> of a <c>conversation</c> object; the reader ends on the object's end.</summary>
    private static GatewayError? ReadConversationId(ref Utf8JsonReader reader, out string? id)
    {
        id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    return TypeError("conversation.id", "a string");
                }

                id = NonEmpty(reader.GetString());
            }
            else
            {
                reader.Skip();
            }
        }

        return null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A model name (or a <c>fallbacks</c> entry) with a control character is refused: it would reach the
    /// upstream, response headers and logs.</summary>
    private static GatewayError? CheckModelName(string model, string param)
    {
        var at = ClientText.IndexOfControl(model);
        return at < 0
            ? null
            : new GatewayError(GatewayErrorKind.InvalidValue, $"Invalid value for '{param}': a model name cannot contain control characters ({ClientText.Describe(model[at])} at position {at}).", param);
    }

    /// <summary>An output budget: a whole number from 1 to 2147483647, or null.</summary>
    private static GatewayError? ReadOutputTokens(ref Utf8JsonReader reader, string name, ref int? value)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (CheckInteger(ref reader, name, 1, int.MaxValue, out var tokens) is { } error)
        {
            return error;
        }

        value = (int)tokens;
        return null;
    }

    private static GatewayError? ReadStreamOptions(ref Utf8JsonReader reader, out bool includeUsage)
    {
        includeUsage = false;
        var seen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                if (seen)
                {
                    return Duplicate("stream_options.include_usage");
                }

                seen = true;
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    return TypeError("stream_options.include_usage", "a boolean");
                }

                includeUsage = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Skip();
            }
        }

        return null;
    }

    private static GatewayError? ReadMessages(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return TypeError("messages", "an array");
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return TypeError($"messages[{index}]", "an object");
            }

            var hasRole = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return TypeError($"messages[{index}].role", "a string");
                    }

                    hasRole = true;
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        return TypeError($"messages[{index}].content", "a string, an array of content parts, or null");
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (!hasRole)
            {
                return new GatewayError(GatewayErrorKind.MissingParameter, $"Missing required parameter: 'messages[{index}].role'.", $"messages[{index}].role");
            }

            index++;
        }

        return index == 0
            ? new GatewayError(GatewayErrorKind.InvalidRequest, "'messages' must contain at least one message.", "messages")
            : null;
    }

    /// <summary>Checks the JSON type, and for numbers the range, of the common parameters the gateway knows; skips
    /// the value. The reader is on the value.</summary>
    private static GatewayError? CheckKnownParameter(ref Utf8JsonReader reader, Field field, GatewayOperation operation)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        // The ranges are OpenAI's own: a value outside them is refused here rather than sent, billed and failed there.
        switch (field)
        {
            case Field.N:
                return CheckInteger(ref reader, "n", 1, 128, out _);
            case Field.TopLogprobs:
                return CheckInteger(ref reader, "top_logprobs", 0, 20, out _);
            case Field.Dimensions:
                return CheckInteger(ref reader, "dimensions", 1, int.MaxValue, out _);
            case Field.Seed:
                return CheckInteger(ref reader, "seed", long.MinValue, long.MaxValue, out _);
            case Field.Temperature:
                return CheckNumber(ref reader, "temperature", 0, 2);
            case Field.TopP:
                return CheckNumber(ref reader, "top_p", 0, 1);
            case Field.PresencePenalty:
                return CheckNumber(ref reader, "presence_penalty", -2, 2);
            case Field.FrequencyPenalty:
                return CheckNumber(ref reader, "frequency_penalty", -2, 2);
            case Field.Speed when operation == GatewayOperation.AudioSpeech:
                return CheckNumber(ref reader, "speed", 0.25, 4);
            case Field.Speed:
                return CheckNumber(ref reader, "speed", double.MinValue, double.MaxValue);
            default:
                break;
        }

        var expected = ExpectedKind(field, operation);
        var token = reader.TokenType;
        reader.Skip();
        if (expected == ValueKind.Any)
        {
            return null;
        }

        var name = Name(field);
        return expected switch
        {
            ValueKind.Boolean when token is not (JsonTokenType.True or JsonTokenType.False) => TypeError(name, "a boolean"),
            ValueKind.String when token != JsonTokenType.String => TypeError(name, "a string"),
            ValueKind.Array when token != JsonTokenType.StartArray => TypeError(name, "an array"),
            ValueKind.Object when token != JsonTokenType.StartObject => TypeError(name, "an object"),
            ValueKind.StringOrArray when token is not (JsonTokenType.String or JsonTokenType.StartArray) => TypeError(name, "a string or an array"),
            ValueKind.StringOrObject when token is not (JsonTokenType.String or JsonTokenType.StartObject) => TypeError(name, "a string or an object"),
            _ => null,
        };
    }

    /// <summary>A whole number within [<paramref name="min"/>, <paramref name="max"/>]; the reader is on the value.</summary>
    private static GatewayError? CheckInteger(ref Utf8JsonReader reader, string name, long min, long max, out long value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return TypeError(name, "an integer");
        }

        if (!reader.TryGetInt64(out value))
        {
            // A fraction is the wrong type; a whole number too large for 64 bits is out of any range.
            return IsWholeNumber(reader.ValueSpan) ? RangeError(name, reader.ValueSpan, IntegerRange(min, max)) : TypeError(name, "an integer");
        }

        return value < min || value > max ? RangeError(name, reader.ValueSpan, IntegerRange(min, max)) : null;
    }

    /// <summary>A finite number within [<paramref name="min"/>, <paramref name="max"/>]; the reader is on the value.</summary>
    private static GatewayError? CheckNumber(ref Utf8JsonReader reader, string name, double min, double max)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return TypeError(name, "a number");
        }

        if (reader.TryGetDouble(out var value) && double.IsFinite(value) && value >= min && value <= max)
        {
            return null;
        }

        return RangeError(name, reader.ValueSpan, min == double.MinValue ? "a finite number" : string.Create(CultureInfo.InvariantCulture, $"a number from {min} to {max}"));
    }

    private static string IntegerRange(long min, long max) =>
        min == long.MinValue ? "a 64-bit integer" : string.Create(CultureInfo.InvariantCulture, $"an integer from {min} to {max}");

    private static bool IsWholeNumber(ReadOnlySpan<byte> number) =>
        number.IndexOfAny(".eE"u8) < 0;

    private static ValueKind ExpectedKind(Field field, GatewayOperation operation) => field switch
    {
        // A string for speech (mp3, wav, …), an object for chat.
        Field.ResponseFormat => operation == GatewayOperation.AudioSpeech ? ValueKind.String : ValueKind.Object,
        Field.Logprobs or Field.ParallelToolCalls or Field.Store => ValueKind.Boolean,
        Field.User or Field.EncodingFormat or Field.ReasoningEffort or Field.ServiceTier or Field.Instructions => ValueKind.String,
        Field.Tools or Field.Modalities => ValueKind.Array,
        Field.LogitBias or Field.Metadata => ValueKind.Object,
        Field.Stop => ValueKind.StringOrArray,
        Field.ToolChoice => ValueKind.StringOrObject,
        _ => ValueKind.Any,
    };

    /// <summary>Which known member the reader's property name is; <see cref="Field.None"/> for any other.</summary>
    private static Field Identify(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Identify(reader.ValueSpan);
        }

        if (reader.ValueSpan.Length > MaxEscapedNameLength)
        {
            return Field.None;
        }

        Span<byte> unescaped = stackalloc byte[MaxEscapedNameLength];
        return Identify(unescaped[..reader.CopyString(unescaped)]);
    }

    private static Field Identify(ReadOnlySpan<byte> name)
    {
        for (var i = 1; i < s_nameBytes.Length; i++)
        {
            if (name.SequenceEqual(s_nameBytes[i]))
            {
                return (Field)i;
            }
        }

        return Field.None;
    }

    private static string Name(Field field) => s_names[(int)field];

    private static GatewayError Duplicate(string param) =>
        new(GatewayErrorKind.InvalidRequest, $"The request body has '{param}' more than once; send each parameter once.", param) { Code = "duplicate_parameter" };

    private static GatewayError RangeError(string param, ReadOnlySpan<byte> raw, string expected)
    {
        var shown = raw.Length > 40 ? Encoding.UTF8.GetString(raw[..40]) + "…" : Encoding.UTF8.GetString(raw);
        return new GatewayError(GatewayErrorKind.InvalidValue, $"Invalid value for '{param}': {shown}; it must be {expected}.", param);
    }

    private static RequestPeek WrongType(string param, string expected) => new(TypeError(param, expected));

    private static GatewayError TypeError(string param, string expected) =>
        new(GatewayErrorKind.InvalidParameterType, $"Invalid type for '{param}': expected {expected}.", param);

    private static RequestPeek Fail(GatewayErrorKind kind, string message, string? param = null) => new(new GatewayError(kind, message, param));

    private enum ValueKind
    {
        Any,
        Boolean,
        String,
        Array,
        Object,
        StringOrArray,
        StringOrObject,
    }

    /// <summary>The top-level members the gateway reads or checks, in the order of <see cref="s_names"/>; at most 63.</summary>
    private enum Field
    {
        None,
        Model,
        Stream,
        StreamOptions,
        Fallbacks,
        Messages,
        Input,
        Voice,
        PreviousResponseId,
        Prompt,
        Conversation,
        MaxTokens,
        MaxCompletionTokens,
        MaxOutputTokens,
        N,
        Temperature,
        TopP,
        PresencePenalty,
        FrequencyPenalty,
        TopLogprobs,
        Dimensions,
        Speed,
        Seed,
        ResponseFormat,
        Logprobs,
        ParallelToolCalls,
        Store,
        User,
        EncodingFormat,
        ReasoningEffort,
        ServiceTier,
        Instructions,
        Tools,
        Modalities,
        LogitBias,
        Metadata,
        Stop,
        ToolChoice,
        CachedContent,
    }
}
