using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The boundary around one upstream call, shared by the providers: it bounds the call by
/// <see cref="LlmGatewayOptions.RequestTimeout"/> and classifies what escapes it (a timeout → 504, an unreachable or
/// dropping upstream → 502); a cancellation by the caller propagates.
/// </summary>
internal static class UpstreamCall
{
    /// <param name="provider">The instance name, for messages and logs.</param>
    /// <param name="timeout">The time the whole call may take.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The provider's logger.</param>
    /// <param name="state">State for <paramref name="call"/>, so it can be a static lambda.</param>
    /// <param name="call">The call. It gets the timeout-bound token for sending and reading a body, and the caller's
    /// own token for a stream it returns (a stream is bounded by the idle timeout instead).</param>
    /// <param name="cancellationToken">The caller's token.</param>
    public static async ValueTask<GatewayResponse> RunAsync<TState>(
        string provider,
        TimeSpan timeout,
        TimeProvider timeProvider,
        ILogger logger,
        TState state,
        Func<TState, CancellationToken, CancellationToken, Task<GatewayResponse>> call,
        CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await call(state, linked.Token, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            logger.UpstreamTimedOut(provider, timeout);
            return GatewayResponse.FromError(new GatewayError(
                GatewayErrorKind.UpstreamTimeout,
                $"The upstream of provider '{provider}' did not answer within {timeout} (LlmGateway:RequestTimeout)."));
        }
        catch (UpstreamCircuitOpenException open)
        {
            return GatewayResponse.FromError(new GatewayError(
                GatewayErrorKind.UpstreamUnavailable,
                open.CallerOnly
                    ? $"The upstream of provider '{provider}' failed on this caller's recent requests; this caller's calls to it are paused for a few seconds."
                    : $"The upstream of provider '{provider}' is failing; calls to it are paused for a few seconds.")
            {
                RetryAfter = open.RetryAfter,
            });
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            logger.UpstreamUnreachable(provider, ex);
            return GatewayResponse.FromError(new GatewayError(
                GatewayErrorKind.UpstreamUnreachable,
                $"The upstream of provider '{provider}' could not be reached or dropped the connection."));
        }
    }

    /// <summary>
    /// Reads a whole response body into one array. With a <c>Content-Length</c> (what upstreams send for a JSON
    /// answer) the array is allocated once at its exact size and filled from the connection; without one, the body is
    /// buffered the usual way. <see cref="HttpContent.ReadAsByteArrayAsync(CancellationToken)"/> would grow a pooled
    /// buffer and then copy it into a new array, two copies of every body (measured: a tenth of the gateway's
    /// allocations per request).
    /// </summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is not { } length || length > Array.MaxLength)
        {
            return await content.ReadAsByteArrayAsync(cancellationToken);
        }

        var body = new byte[length];
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        await stream.ReadExactlyAsync(body, cancellationToken); // a short body throws EndOfStreamException, an IOException

        return body;
    }

    /// <summary>Opens a streamed response body; a connection that broke already is a stream interruption.</summary>
    public static async Task<Stream> OpenStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "The upstream connection broke before the stream started."), ex);
        }
    }

    /// <summary>The upstream's <c>x-request-id</c>, if it sent one.</summary>
    public static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;

    public static GatewayResponse Invalid(ILogger logger, string provider, string reason)
    {
        logger.UpstreamInvalid(provider, ClientText.ForLog(reason));
        return GatewayResponse.FromError(new GatewayError(
            GatewayErrorKind.UpstreamInvalidResponse,
            $"The upstream of provider '{provider}' answered an invalid response: {reason}"));
    }
}
