using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// Reads an upstream stream in OpenAI's SSE framing (<c>data: {json}</c> events ending with <c>data: [DONE]</c>) with
/// the in-box <see cref="SseParser"/>, yielding each event's data as bytes.
/// </summary>
/// <remarks>
/// A stream that ends without <c>[DONE]</c>, breaks, or stays silent longer than the idle timeout throws
/// <see cref="LlmGatewayException"/>: a cut stream must never look complete. An error event the upstream sends
/// itself (<c>data: {"error":…}</c>) ends the stream with an exception carrying its translation (type, code and
/// param kept, the message masked); the event itself is not passed on.
/// </remarks>
internal static class OpenAISseReader
{
    public static IAsyncEnumerable<GatewayEvent> ReadAsync(Stream body, TimeSpan idleTimeout, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        ReadAsync(body, idleTimeout, timeProvider, openAIFraming: true, cancellationToken);

    /// <summary>Reads the data of each event.</summary>
    /// <param name="body">The upstream's response body.</param>
    /// <param name="idleTimeout">The longest the upstream may stay silent while the reader waits for an event.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="openAIFraming">True for OpenAI's framing: the stream must end with <c>[DONE]</c>, and an
    /// <c>{"error":…}</c> event ends it with an exception. False for framings without an end marker (Gemini): the end
    /// of the body is the end of the stream, and the caller judges whether it was complete.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async IAsyncEnumerable<GatewayEvent> ReadAsync(
        Stream body,
        TimeSpan idleTimeout,
        TimeProvider timeProvider,
        bool openAIFraming,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        var parser = SseParser.Create(body, static (_, data) => data.ToArray());
        string? eventType;
        await using var events = parser.EnumerateAsync(linked.Token).GetAsyncEnumerator(linked.Token);
        var sawFinishReason = false;
        while (true)
        {
            byte[] data;
            try
            {
                // The timer runs only while waiting for the upstream, not while the consumer (a slow client)
                // holds the previous event.
                idle.CancelAfter(idleTimeout);
                var more = await events.MoveNextAsync();
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (!more)
                {
                    // Some OpenAI-compatible servers never send [DONE]: a stream whose last chunks carried a finish
                    // reason ended cleanly all the same. One that ended without one was cut.
                    if (!openAIFraming || sawFinishReason)
                    {
                        yield break;
                    }

                    throw Interrupted("The upstream closed the stream before it finished ([DONE] never came).");
                }

                data = events.Current.Data;
                eventType = events.Current.EventType is SseParser.EventTypeDefault ? null : events.Current.EventType;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
            {
                throw new LlmGatewayException(
                    new GatewayError(GatewayErrorKind.UpstreamTimeout, $"The upstream sent nothing for {idleTimeout.TotalSeconds:0.#} s; the stream was abandoned."),
                    ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
            {
                throw Interrupted("The upstream connection broke during the stream.", ex);
            }

            if (openAIFraming && data.AsSpan().Trim(" \r\n\t"u8).SequenceEqual("[DONE]"u8))
            {
                yield break;
            }

            if (data.Length == 0)
            {
                continue;
            }

            if (openAIFraming && !JsonValidation.IsJsonObject(data))
            {
                throw Interrupted("The upstream sent a malformed event (not a JSON object).");
            }

            if (openAIFraming && IsErrorEvent(data))
            {
                // Not passed on as it came: the writer ends the stream with the gateway's own envelope of it.
                throw new LlmGatewayException(UpstreamErrors.FromErrorEvent(data));
            }

            sawFinishReason = sawFinishReason || HasFinishReason(data);
            yield return new GatewayEvent(data, eventType);
        }
    }

    /// <summary>Whether an event is an error object (<c>{"error": …}</c>) rather than a chunk.</summary>
    internal static bool IsErrorEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("error"u8);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether a chunk carries a non-null <c>finish_reason</c>; a byte search, no parse.</summary>
    internal static bool HasFinishReason(ReadOnlySpan<byte> data)
    {
        var key = "\"finish_reason\""u8;
        var at = data.IndexOf(key);
        while (at >= 0)
        {
            var rest = data[(at + key.Length)..].TrimStart(" \t\r\n"u8);
            if (rest.Length > 1 && rest[0] == (byte)':' && rest[1..].TrimStart(" \t\r\n"u8) is { Length: > 0 } value && value[0] == (byte)'"')
            {
                return true;
            }

            var next = rest.IndexOf(key);
            if (next < 0)
            {
                return false;
            }

            at = data.Length - rest.Length + next;
        }

        return false;
    }

    private static LlmGatewayException Interrupted(string message, Exception? inner = null) =>
        new(new GatewayError(GatewayErrorKind.StreamInterrupted, message), inner);
}
