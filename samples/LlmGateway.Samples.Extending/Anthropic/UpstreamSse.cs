using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// Reads an upstream's server-sent events with the in-box <see cref="SseParser"/>, keeping each event's data as bytes,
/// and ends a stream that goes quiet for longer than the idle timeout. The only SSE plumbing the Anthropic provider
/// has: the translation does not depend on it.
/// </summary>
internal static class UpstreamSse
{
    public static async IAsyncEnumerable<SseItem<byte[]>> ReadAsync(Stream body, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(idleTimeout);
        var parser = SseParser.Create(body, static (_, data) => data.ToArray());
        await using var events = parser.EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
        while (true)
        {
            bool next;
            try
            {
                next = await events.MoveNextAsync();
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, $"The upstream sent nothing for {idleTimeout.TotalSeconds:0.#} s."), ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "The upstream connection broke during the stream."), ex);
            }

            if (!next)
            {
                yield break;
            }

            idle.CancelAfter(idleTimeout);
            yield return events.Current;
        }
    }
}
