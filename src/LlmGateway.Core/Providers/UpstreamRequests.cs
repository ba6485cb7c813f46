using System.Net.Http.Headers;
using System.Text.Json;
using LlmGateway.Internal;
using Microsoft.Extensions.Logging;

namespace LlmGateway;

/// <summary>
/// What a provider needs around its upstream calls: the invoker of its <see cref="HttpClient"/> (registered with
/// <see cref="LlmGatewayBuilderExtensions.AddUpstreamHttpClient"/>), the boundary around one call (timeout, and the
/// failures that escape it as <see cref="GatewayResponse"/> errors), and the translation of an upstream's error answer
/// into the <see cref="GatewayError"/> the client is told.
/// </summary>
/// <remarks>
/// An upstream's error text is never passed on as it is: what reaches the client is masked (anything key-shaped
/// removed) and cut short, and a 401 or 403 to the gateway's own credentials becomes a 502 for the operator.
/// </remarks>
public static class UpstreamRequests
{
    /// <summary>The most of an error body that <see cref="ReadErrorBodyAsync"/> reads.</summary>
    public const int MaxErrorBodySize = UpstreamErrors.MaxErrorBodySize;

    /// <summary>
    /// Creates the invoker a provider instance sends with: the handler chain of the named client (resilience, circuit
    /// breaker, connection pooling), without an <see cref="HttpClient"/> in front. Create it once per instance and keep it.
    /// </summary>
    /// <param name="handlers">The handler factory, from dependency injection.</param>
    /// <param name="name">The name the client was registered under with <see cref="LlmGatewayBuilderExtensions.AddUpstreamHttpClient"/>.</param>
    /// <returns>The invoker; disposing it leaves the shared handler chain alone.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handlers"/> or <paramref name="name"/> is null.</exception>
    public static HttpMessageInvoker CreateInvoker(IHttpMessageHandlerFactory handlers, string name)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(name);
        return UpstreamHttpClient.CreateInvoker(handlers, name);
    }

    /// <summary>
    /// Marks an upstream request message for the resilience handler: at most one patient retry on the same upstream
    /// when <see cref="ProviderRequest.AllowRetries"/> is off (another target will be tried), and the caller its outcome
    /// counts for in the upstream's circuit (<see cref="ProviderRequest.CallerId"/>). Call it for every message sent
    /// for a <see cref="ProviderRequest"/>.
    /// </summary>
    /// <param name="message">The upstream request message.</param>
    /// <param name="request">The request it is sent for.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> or <paramref name="request"/> is null.</exception>
    public static void Prepare(HttpRequestMessage message, ProviderRequest request)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(request);
        UpstreamHttpClient.Apply(message, request);
    }

    /// <summary>
    /// Runs one upstream call within <paramref name="timeout"/> and turns what escapes it into an error response: a
    /// timeout into 504 <c>upstream_timeout</c>, an unreachable or dropping upstream into 502, an open circuit into 503.
    /// A cancellation by the caller propagates.
    /// </summary>
    /// <typeparam name="TState">The type of <paramref name="state"/>.</typeparam>
    /// <param name="provider">The instance name, for messages and logs.</param>
    /// <param name="timeout">The time the whole call may take, normally <c>request.TimeoutOr(gatewayOptions.RequestTimeout)</c>.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The provider's logger.</param>
    /// <param name="state">State for <paramref name="call"/>, so it can be a static lambda.</param>
    /// <param name="call">The call. It gets the timeout-bound token for sending and reading a body, and the caller's
    /// own token for a stream it returns (a stream is bounded by its idle timeout instead; see <see cref="SseReader"/>).</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <returns>The call's response, or the error it ended with.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ValueTask<GatewayResponse> RunAsync<TState>(
        string provider,
        TimeSpan timeout,
        TimeProvider timeProvider,
        ILogger logger,
        TState state,
        Func<TState, CancellationToken, CancellationToken, Task<GatewayResponse>> call,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(call);
        return UpstreamCall.RunAsync(provider, timeout, timeProvider, logger, state, call, cancellationToken);
    }

    /// <summary>Reads a whole (successful) response body, into one array of its exact size when it has a <c>Content-Length</c>.</summary>
    /// <param name="content">The response content.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is null.</exception>
    public static Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return UpstreamCall.ReadBodyAsync(content, cancellationToken);
    }

    /// <summary>Opens a streamed response body; a connection that already broke throws <see cref="LlmGatewayException"/>
    /// (<see cref="GatewayErrorKind.StreamInterrupted"/>).</summary>
    /// <param name="response">The upstream response.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The body stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="response"/> is null.</exception>
    public static Task<Stream> OpenStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        return UpstreamCall.OpenStreamAsync(response, cancellationToken);
    }

    /// <summary>Gets the upstream's <c>x-request-id</c>, if it sent one.</summary>
    /// <param name="response">The upstream response.</param>
    /// <returns>The id, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="response"/> is null.</exception>
    public static string? RequestId(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return UpstreamCall.RequestId(response);
    }

    /// <summary>The answer to an upstream response the provider cannot use (not JSON, missing fields): 502
    /// <c>upstream_invalid_response</c>, logged.</summary>
    /// <param name="logger">The provider's logger.</param>
    /// <param name="provider">The instance name.</param>
    /// <param name="reason">What was wrong, ending with a full stop; shown to the client, so never upstream text.</param>
    /// <returns>The error response.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static GatewayResponse InvalidResponse(ILogger logger, string provider, string reason)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(reason);
        return UpstreamCall.Invalid(logger, provider, reason);
    }

    /// <summary>Reads at most <see cref="MaxErrorBodySize"/> bytes of an error body.</summary>
    /// <param name="content">The error response's content.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The body, cut at <see cref="MaxErrorBodySize"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is null.</exception>
    public static Task<byte[]> ReadErrorBodyAsync(HttpContent content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return UpstreamErrors.ReadCappedAsync(content, cancellationToken);
    }

    /// <summary>
    /// The error the client is told for an upstream's error answer: a 401 or 403 to the gateway's own credentials
    /// becomes 502 <c>upstream_auth_failed</c> (<see cref="CredentialsRejected"/>); an OpenAI-format error
    /// (<c>{"error":{…}}</c>) keeps the status, <c>type</c>, <c>code</c> and <c>param</c> and its masked message;
    /// anything else becomes <see cref="NotAnApiError"/>.
    /// </summary>
    /// <param name="provider">The instance name.</param>
    /// <param name="status">The upstream's HTTP status.</param>
    /// <param name="body">The error body, as read by <see cref="ReadErrorBodyAsync"/>.</param>
    /// <param name="retryAfter">How long the upstream asked to wait (<see cref="RetryAfter(HttpResponseMessage)"/>), if it did.</param>
    /// <param name="callerKey">Whether the key sent was the caller's own (<see cref="ProviderRequest.ApiKeyFromCaller"/>).</param>
    /// <param name="logger">The provider's logger.</param>
    /// <returns>The error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static GatewayError FromErrorResponse(string provider, int status, ReadOnlyMemory<byte> body, TimeSpan? retryAfter, bool callerKey, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(logger);
        return UpstreamErrors.FromResponse(provider, status, body, retryAfter, callerKey, logger);
    }

    /// <summary>A 401 or 403 to the gateway's own credentials: 502 <c>upstream_auth_failed</c>, the upstream's text
    /// withheld (it may quote the key), and a Warning in the log for the operator.</summary>
    /// <param name="provider">The instance name.</param>
    /// <param name="status">The upstream's HTTP status.</param>
    /// <param name="logger">The provider's logger.</param>
    /// <returns>The error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static GatewayError CredentialsRejected(string provider, int status, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(logger);
        return UpstreamErrors.GatewayKeyRejected(provider, status, logger);
    }

    /// <summary>An error answer in no API error format the provider knows: a short message naming the status and the
    /// instance, keeping the status; the body goes to the log at Debug only, cut short and escaped.</summary>
    /// <param name="provider">The instance name.</param>
    /// <param name="status">The upstream's HTTP status.</param>
    /// <param name="body">The error body.</param>
    /// <param name="retryAfter">How long the upstream asked to wait, if it did.</param>
    /// <param name="logger">The provider's logger.</param>
    /// <param name="type">The OpenAI error <c>type</c>; null for <c>invalid_request_error</c> below 500, else <c>server_error</c>.</param>
    /// <returns>The error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static GatewayError NotAnApiError(string provider, int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter, ILogger logger, string? type = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(logger);
        return UpstreamErrors.NotAnApiError(provider, status, body, retryAfter, logger, type);
    }

    /// <summary>How long an upstream asks to wait: <c>Retry-After</c>, else the longer of OpenAI's
    /// <c>x-ratelimit-reset-requests</c> and <c>x-ratelimit-reset-tokens</c>.</summary>
    /// <param name="response">The upstream response.</param>
    /// <returns>The wait, or null when it asks for none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="response"/> is null.</exception>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return UpstreamErrors.RetryAfter(response);
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for.</summary>
    /// <param name="header">The header, or null.</param>
    /// <returns>The wait, or null.</returns>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => UpstreamErrors.RetryAfter(header);

    /// <summary>The wait a Google API error asks for in its body: <c>error.details[].retryDelay</c> of a
    /// <c>google.rpc.RetryInfo</c>.</summary>
    /// <param name="error">The <c>error</c> object of the body.</param>
    /// <returns>The wait, or null.</returns>
    public static TimeSpan? RetryInfoDelay(JsonElement error) => UpstreamErrors.RetryInfoDelay(error);

    /// <summary>Masks anything key-shaped in upstream text that will reach the client (an error message), and cuts it
    /// short.</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">The most characters kept.</param>
    /// <returns>The masked text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string MaskSecrets(string text, int maxLength = 1000)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SecretMasker.Redact(text, maxLength);
    }
}
