using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// What the gateway needs from a request body, read in one forward pass with <see cref="Utf8JsonReader"/> and no
/// DOM: the model (and where its value sits, for a rewrite), the stream flags, and a check of the types of the
/// parameters it knows, so a client's mistake is a 400 that names the field.
/// </summary>
internal readonly struct RequestPeek
{
    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 256 };

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
        try
        {
            return ReadCore(body, operation);
        }
        catch (JsonException ex)
        {
            return Fail(GatewayErrorKind.InvalidJson, $"The request body is not valid JSON: {ex.Message}");
        }
    }

    private static RequestPeek ReadCore(ReadOnlySpan<byte> body, GatewayOperation operation)
    {
        var reader = new Utf8JsonReader(body, s_readerOptions);
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
        bool stream = false, includeUsage = false, hasStreamOptions = false, hasMessages = false, hasInput = false, hasVoice = false;
        List<string>? fallbacks = null;
        string? previousResponseId = null, cachedContent = null, conversation = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return WrongType("model", "a string");
                }

                model = reader.GetString();
                modelStart = (int)reader.TokenStartIndex;
                modelLength = (int)reader.BytesConsumed - modelStart;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    return WrongType("stream", "a boolean");
                }

                stream = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                hasStreamOptions = true;
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (ReadStreamOptions(ref reader, out includeUsage) is { } error)
                    {
                        return new RequestPeek(error);
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return WrongType("stream_options", "an object");
                }
            }
            else if (reader.ValueTextEquals("fallbacks"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return WrongType("fallbacks", "an array of model names");
                }

                fallbacks = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return WrongType($"fallbacks[{fallbacks.Count}]", "a string");
                    }

                    fallbacks.Add(reader.GetString()!);
                }
            }
            else if (operation == GatewayOperation.Responses && reader.ValueTextEquals("previous_response_id"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                {
                    return WrongType("previous_response_id", "a string");
                }

                previousResponseId = reader.TokenType == JsonTokenType.String ? NonEmpty(reader.GetString()) : null;
            }
            else if (operation == GatewayOperation.Responses && reader.ValueTextEquals("conversation"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    conversation = NonEmpty(reader.GetString());
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (ReadConversationId(ref reader, out conversation) is { } error)
                    {
                        return new RequestPeek(error);
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return WrongType("conversation", "a string or an object");
                }
            }
            else if (operation is GatewayOperation.ChatCompletions or GatewayOperation.Responses && reader.ValueTextEquals("cached_content"u8))
            {
                // Another type is left to the provider that reads the field (Gemini answers it with a 400).
                reader.Read();
                cachedContent = reader.TokenType == JsonTokenType.String ? NonEmpty(reader.GetString()) : null;
                reader.Skip();
            }
            else if (operation == GatewayOperation.ChatCompletions && reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                if (ReadMessages(ref reader) is { } error)
                {
                    return new RequestPeek(error);
                }

                hasMessages = true;
            }
            else if (operation == GatewayOperation.AudioSpeech && (reader.ValueTextEquals("input"u8) || reader.ValueTextEquals("voice"u8)))
            {
                var isInput = reader.ValueTextEquals("input"u8);
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return WrongType(isInput ? "input" : "voice", "a string");
                }

                hasInput |= isInput;
                hasVoice |= !isInput;
            }
            else if (operation == GatewayOperation.Embeddings && reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
                {
                    return WrongType("input", "a string or an array");
                }

                reader.Skip();
                hasInput = true;
            }
            else if (CheckKnownParameter(ref reader, operation) is { } error)
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

        // The Responses API's `input` is a string or a list of items; nothing else is required besides the model.

        if (operation == GatewayOperation.ChatCompletions && !hasMessages)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'messages'.", "messages");
        }

        if (operation is GatewayOperation.Embeddings or GatewayOperation.AudioSpeech && !hasInput)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'input'.", "input");
        }

        if (operation == GatewayOperation.AudioSpeech && !hasVoice)
        {
            return Fail(GatewayErrorKind.MissingParameter, "Missing required parameter: 'voice'.", "voice");
        }

        return new RequestPeek(model, modelStart, modelLength, stream, includeUsage)
        {
            Fallbacks = fallbacks,
            HasStreamOptions = hasStreamOptions,
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

    private static GatewayError? ReadStreamOptions(ref Utf8JsonReader reader, out bool includeUsage)
    {
        includeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
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

    /// <summary>Checks the JSON type of the common parameters the gateway knows; skips any other value.</summary>
    private static GatewayError? CheckKnownParameter(ref Utf8JsonReader reader, GatewayOperation operation)
    {
        var expected = ExpectedKind(ref reader, operation);
        var name = expected == ValueKind.Any ? null : reader.GetString();
        reader.Read();
        var token = reader.TokenType;
        var isInteger = token == JsonTokenType.Number && reader.TryGetInt64(out _);
        reader.Skip();
        if (token == JsonTokenType.Null || expected == ValueKind.Any)
        {
            return null;
        }

        return expected switch
        {
            ValueKind.Number when token != JsonTokenType.Number => TypeError(name!, "a number"),
            ValueKind.Integer when !isInteger => TypeError(name!, "an integer"),
            ValueKind.Boolean when token is not (JsonTokenType.True or JsonTokenType.False) => TypeError(name!, "a boolean"),
            ValueKind.String when token != JsonTokenType.String => TypeError(name!, "a string"),
            ValueKind.Array when token != JsonTokenType.StartArray => TypeError(name!, "an array"),
            ValueKind.Object when token != JsonTokenType.StartObject => TypeError(name!, "an object"),
            ValueKind.StringOrArray when token is not (JsonTokenType.String or JsonTokenType.StartArray) => TypeError(name!, "a string or an array"),
            ValueKind.StringOrObject when token is not (JsonTokenType.String or JsonTokenType.StartObject) => TypeError(name!, "a string or an object"),
            _ => null,
        };
    }

    private static ValueKind ExpectedKind(ref Utf8JsonReader reader, GatewayOperation operation)
    {
        if (reader.ValueTextEquals("response_format"u8))
        {
            // A string for speech (mp3, wav, …), an object for chat.
            return operation == GatewayOperation.AudioSpeech ? ValueKind.String : ValueKind.Object;
        }

        if (reader.ValueTextEquals("temperature"u8) || reader.ValueTextEquals("top_p"u8)
            || reader.ValueTextEquals("presence_penalty"u8) || reader.ValueTextEquals("frequency_penalty"u8)
            || reader.ValueTextEquals("speed"u8))
        {
            return ValueKind.Number;
        }

        if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8)
            || reader.ValueTextEquals("n"u8) || reader.ValueTextEquals("seed"u8)
            || reader.ValueTextEquals("top_logprobs"u8) || reader.ValueTextEquals("dimensions"u8))
        {
            return ValueKind.Integer;
        }

        if (reader.ValueTextEquals("logprobs"u8) || reader.ValueTextEquals("parallel_tool_calls"u8) || reader.ValueTextEquals("store"u8))
        {
            return ValueKind.Boolean;
        }

        if (reader.ValueTextEquals("user"u8) || reader.ValueTextEquals("encoding_format"u8) || reader.ValueTextEquals("reasoning_effort"u8)
            || reader.ValueTextEquals("service_tier"u8) || reader.ValueTextEquals("instructions"u8))
        {
            return ValueKind.String;
        }

        if (reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("modalities"u8))
        {
            return ValueKind.Array;
        }

        if (reader.ValueTextEquals("logit_bias"u8) || reader.ValueTextEquals("metadata"u8))
        {
            return ValueKind.Object;
        }

        if (reader.ValueTextEquals("stop"u8))
        {
            return ValueKind.StringOrArray;
        }

        if (reader.ValueTextEquals("tool_choice"u8))
        {
            return ValueKind.StringOrObject;
        }

        return ValueKind.Any;
    }

    private static RequestPeek WrongType(string param, string expected) => new(TypeError(param, expected));

    private static GatewayError TypeError(string param, string expected) =>
        new(GatewayErrorKind.InvalidParameterType, $"Invalid type for '{param}': expected {expected}.", param);

    private static RequestPeek Fail(GatewayErrorKind kind, string message, string? param = null) => new(new GatewayError(kind, message, param));

    private enum ValueKind
    {
        Any,
        Number,
        Integer,
        Boolean,
        String,
        Array,
        Object,
        StringOrArray,
        StringOrObject,
    }
}
