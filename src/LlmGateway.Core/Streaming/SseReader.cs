using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>Reads an upstream's server-sent event stream into <see cref="GatewayEvent"/>s, for a provider's
/// <see cref="GatewayResponse.FromEvents"/>.</summary>
/// <remarks>
/// A stream that breaks, or stays silent longer than the idle timeout, throws <see cref="LlmGatewayException"/>
/// (<see cref="GatewayErrorKind.StreamInterrupted"/>, <see cref="GatewayErrorKind.UpstreamTimeout"/>): a cut stream
/// must never look complete.
/// </remarks>
public static class SseReader
{
    /// <summary>Reads the events of <paramref name="body"/>, each event's data as bytes with its event type.</summary>
    /// <param name="body">The upstream's response body (see <see cref="UpstreamRequests.OpenStreamAsync"/>).</param>
    /// <param name="idleTimeout">The longest the upstream may stay silent while the reader waits for an event
    /// (normally <see cref="LlmGatewayOptions.StreamIdleTimeout"/>).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="openAIFraming">True for OpenAI's chat completions framing: the stream must end with
    /// <c>data: [DONE]</c> (or after a chunk with a finish reason), every event must be a JSON object, and an
    /// <c>{"error":…}</c> event ends it with an exception carrying its translation (message masked). False for other
    /// framings: the end of the body is the end of the stream, and the provider judges whether it was complete.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> or <paramref name="timeProvider"/> is null.</exception>
    public static IAsyncEnumerable<GatewayEvent> ReadAsync(Stream body, TimeSpan idleTimeout, TimeProvider timeProvider, bool openAIFraming, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return OpenAISseReader.ReadAsync(body, idleTimeout, timeProvider, openAIFraming, cancellationToken);
    }
}
