using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// Writes a streaming <see cref="GatewayResponse"/> in OpenAI's framing: each event as <c>data: {json}\n\n</c> (with
/// an <c>event:</c> line when it has a type), flushed as soon as it arrives; <c>data: [DONE]</c> only after a clean end
/// of a stream that uses it; after a failure, one last
/// <c>data: {"error":…}</c> event and no <c>[DONE]</c>, so a cut stream never looks complete.
/// </summary>
internal static class SseResponseWriter
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;

    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;

    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    /// <param name="response">The streaming response.</param>
    /// <param name="output">The client's body.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="cancellationToken">The client's token: it fires when the client goes away.</param>
    /// <param name="shuttingDown">Fires when the host is stopping and the drain time is over; the stream then ends
    /// with a <c>server_shutting_down</c> error event. The request that produced <paramref name="response"/> must have
    /// been sent with a token that fires with it too, so the upstream read stops.</param>
    /// <returns>True when the stream ended cleanly.</returns>
    public static async Task<bool> WriteAsync(GatewayResponse response, PipeWriter output, ILogger logger, CancellationToken cancellationToken, CancellationToken shuttingDown = default)
    {
        var events = response.Events ?? throw new ArgumentException("The response is not a stream.", nameof(response));
        using var linked = shuttingDown.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, shuttingDown) : null;
        var token = linked?.Token ?? cancellationToken;
        await using var enumerator = events.GetAsyncEnumerator(token);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync();
                }
                catch (LlmGatewayException ex) when (!shuttingDown.IsCancellationRequested)
                {
                    logger.StreamFailed(response.ProviderName, ClientText.ForLog(ex.Message));
                    WriteError(output, response, ex.Error);

                    await output.FlushAsync(cancellationToken);
                    return false;
                }

                if (!more)
                {
                    break;
                }

                WriteEvent(output, enumerator.Current.Data.Span, enumerator.Current.EventType);
                var flush = await output.FlushAsync(token);
                if (flush.IsCanceled || flush.IsCompleted)
                {
                    return false;
                }
            }

            if (response.EndsWithDone)
            {
                output.Write(Done);
                await output.FlushAsync(cancellationToken);
            }

            return true;
        }
        catch (Exception ex) when (shuttingDown.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Whatever the cancelled upstream read threw (a cancellation, a broken read), the cause is the shutdown.
            logger.StreamCutByShutdown(response.ProviderName, ex.GetType().Name);
            try
            {
                WriteError(output, response, ShuttingDown);
                await output.FlushAsync(cancellationToken);
            }
            catch (Exception writeFailure) when (writeFailure is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client is gone as well; nothing more to tell it.
            }

            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.StreamCanceled(response.ProviderName);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.StreamCrashed(response.ProviderName, ex);
            try
            {
                WriteError(output, response, new GatewayError(GatewayErrorKind.Internal, "The gateway failed during the stream."));
                await output.FlushAsync(cancellationToken);
            }
            catch (Exception writeFailure) when (writeFailure is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client is gone as well; nothing more to tell it.
            }

            return false;
        }
    }

    /// <summary>The last event of a stream the host cut because it was stopping.</summary>
    internal static GatewayError ShuttingDown { get; } = new(
        GatewayErrorKind.ServerShuttingDown,
        "The gateway is shutting down; the stream was ended before it finished. Retry the request.");

    /// <summary>Chat streams end with <c>data: {"error":…}</c>; Responses API streams with their own error event.</summary>
    private static void WriteError(PipeWriter output, GatewayResponse response, GatewayError error)
    {
        if (response.EndsWithDone)
        {
            WriteEvent(output, ErrorEnvelope.ToBytes(error));
        }
        else
        {
            WriteEvent(output, ErrorEnvelope.ToResponsesErrorEvent(error), "error");
        }
    }

    private static void WriteEvent(PipeWriter output, ReadOnlySpan<byte> data, string? eventType = null)
    {
        if (eventType is not null)
        {
            output.Write(EventPrefix);
            System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, eventType, output);
            output.Write("\n"u8);
        }

        output.Write(DataPrefix);
        output.Write(data);
        output.Write(EventEnd);
    }
}
