using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// Reads the <c>usage</c> an upstream reported, in OpenAI's formats: a chat completion or embeddings body
/// (<c>prompt_tokens</c>, <c>completion_tokens</c>, <c>prompt_tokens_details.cached_tokens</c>,
/// <c>completion_tokens_details.reasoning_tokens</c>), a Responses object (<c>input_tokens</c>, <c>output_tokens</c>,
/// <c>input_tokens_details.cached_tokens</c>, <c>output_tokens_details.reasoning_tokens</c>), a chat stream chunk, a
/// Responses stream event.
/// </summary>
/// <remarks>
/// This runs on every response, so it reads forward with <see cref="Utf8JsonReader"/> (no DOM), skips what it does not
/// need, and stops as soon as it has the usage. Both naming schemes are accepted in any usage object, so a provider
/// that mixes them is still read. It never throws: malformed JSON, <c>"usage": null</c>, an empty usage object or a
/// body with no usage all give null (the caller then estimates). Missing details count 0; negative or non-integer
/// counts are read as 0 or truncated.
/// </remarks>
internal static class UsageReader
{
    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 256 };

    /// <summary>The usage of a whole response body (chat completion, embeddings, Responses object), or null.</summary>
    /// <remarks>Reads only up to the top-level <c>usage</c>: what follows it is not checked.</remarks>
    public static UsageCounts? FromBody(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, s_readerOptions);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject ? FindUsage(ref reader, readToEnd: false) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The usage in one chat stream chunk's data, or null; <paramref name="isUsageOnly"/> when the chunk is the
    /// one <c>stream_options.include_usage</c> adds (an empty <c>choices</c> array and a <c>usage</c> object).</summary>
    public static UsageCounts? FromChunk(ReadOnlySpan<byte> data, out bool isUsageOnly)
    {
        isUsageOnly = false;
        try
        {
            var reader = new Utf8JsonReader(data, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            UsageCounts? usage = null;
            bool hasUsageObject = false, choicesEmpty = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        hasUsageObject = true;
                        usage = ReadUsage(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        // Utf8JsonReader cannot peek; a copy reads one token ahead, the original skips the array.
                        var ahead = reader;
                        choicesEmpty = ahead.Read() && ahead.TokenType == JsonTokenType.EndArray;
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            isUsageOnly = choicesEmpty && hasUsageObject;
            return usage;
        }
        catch (JsonException)
        {
            isUsageOnly = false;
            return null;
        }
    }

    /// <summary>The usage in a Responses stream event (<c>response.completed</c>, <c>response.incomplete</c>,
    /// <c>response.failed</c> carry <c>response.usage</c>), or null.</summary>
    /// <remarks>OpenAI writes <c>type</c> first, so every other event (the many deltas) costs one property read.</remarks>
    public static UsageCounts? FromResponsesEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            UsageCounts? usage = null;
            var isFinal = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String
                        || !(reader.ValueTextEquals("response.completed"u8)
                            || reader.ValueTextEquals("response.incomplete"u8)
                            || reader.ValueTextEquals("response.failed"u8)))
                    {
                        return null;
                    }

                    isFinal = true;
                    if (usage is not null)
                    {
                        return usage;
                    }
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    // When the type came first the event is known to be final: stop at the usage.
                    usage = FindUsage(ref reader, readToEnd: !isFinal);
                    if (isFinal)
                    {
                        return usage;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return isFinal ? usage : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Finds the <c>usage</c> member of the object the reader is on; with <paramref name="readToEnd"/> the
    /// reader is left on the object's end, otherwise wherever the usage ended.</summary>
    private static UsageCounts? FindUsage(ref Utf8JsonReader reader, bool readToEnd)
    {
        UsageCounts? usage = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    usage = ReadUsage(ref reader);
                }
                else
                {
                    reader.Skip();
                }

                if (!readToEnd)
                {
                    return usage;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return usage;
    }

    /// <summary>Reads a usage object (the reader is on its start) in either naming scheme; null when it has no counts.</summary>
    private static UsageCounts? ReadUsage(ref Utf8JsonReader reader)
    {
        long prompt = 0, completion = 0, cached = 0, reasoning = 0;
        var hasCounts = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                reader.Read();
                prompt = ReadCount(ref reader);
                hasCounts = true;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                reader.Read();
                completion = ReadCount(ref reader);
                hasCounts = true;
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8) || reader.ValueTextEquals("input_tokens_details"u8))
            {
                reader.Read();
                cached = ReadDetail(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8) || reader.ValueTextEquals("output_tokens_details"u8))
            {
                reader.Read();
                reasoning = ReadDetail(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return hasCounts ? new UsageCounts(prompt, completion, cached, reasoning) : null;
    }

    /// <summary>One count of a details object (the reader is on its value); 0 when it is missing or null.</summary>
    private static long ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }

        long value = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                value = ReadCount(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return value;
    }

    private static long ReadCount(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return 0;
        }

        if (reader.TryGetInt64(out var value))
        {
            return Math.Max(0, value);
        }

        // 12.0 or 1e3: some providers write counts as floating point.
        return reader.TryGetDouble(out var number) && number > 0 && double.IsFinite(number)
            ? number >= long.MaxValue ? long.MaxValue : (long)number
            : 0;
    }
}

/// <summary>Cost of a call from the catalog's prices per million tokens.</summary>
internal static class UsageCost
{
    private const decimal TokensPerPrice = 1_000_000m;

    /// <summary>Uncached input at <c>InputPrice</c>, cached input at <c>CachedInputPrice</c> (else <c>InputPrice</c>),
    /// output (reasoning included) at <c>OutputPrice</c>; 0 for what has no price.</summary>
    /// <remarks>Cached tokens are part of the prompt tokens (OpenAI reports them so); a count above the prompt is
    /// taken as the whole prompt, never as negative uncached input.</remarks>
    public static decimal Of(UsageCounts usage, ModelCatalogOptions? facts)
    {
        if (facts is null)
        {
            return 0m;
        }

        var prompt = Math.Max(0, usage.PromptTokens);
        var cached = Math.Clamp(usage.CachedTokens, 0, prompt);
        var cost = 0m;
        if (facts.InputPrice is { } input)
        {
            cost += (prompt - cached) * input;
        }

        if ((facts.CachedInputPrice ?? facts.InputPrice) is { } cachedInput)
        {
            cost += cached * cachedInput;
        }

        if (facts.OutputPrice is { } output)
        {
            cost += Math.Max(0, usage.CompletionTokens) * output;
        }

        return cost / TokensPerPrice;
    }
}
