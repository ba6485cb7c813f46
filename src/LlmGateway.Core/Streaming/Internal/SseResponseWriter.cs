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

    /// <returns>True when the stream ended cleanly.</returns>
    public static async Task<bool> WriteAsync(GatewayResponse response, PipeWriter output, ILogger logger, CancellationToken cancellationToken)
    {
        var events = response.Events ?? throw new ArgumentException("The response is not a stream.", nameof(response));
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync();
                }
                catch (LlmGatewayException ex)
                {
                    logger.StreamFailed(response.ProviderName, ex.Message);
                    if (ex.Error.UpstreamBody.IsEmpty)
                    {
                        // The upstream's own error event, when there was one, has been written already.
                        WriteError(output, response, ex.Error);
                    }

                    await output.FlushAsync(cancellationToken);
                    return false;
                }

                if (!more)
                {
                    break;
                }

                WriteEvent(output, enumerator.Current.Data.Span, enumerator.Current.EventType);
                var flush = await output.FlushAsync(cancellationToken);
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
