namespace LlmGateway;

/// <summary>
/// The outcome of a gateway call, in OpenAI's wire format: a body, a body stream (audio), a stream of server-sent event
/// payloads, or an error. Exactly one of <see cref="Body"/> (when the others are null), <see cref="BodyStream"/>,
/// <see cref="Events"/> and <see cref="Error"/> applies.
/// </summary>
/// <remarks>
/// A streaming response owns the upstream connection until <see cref="Events"/> has been enumerated to the end or
/// the response is disposed; dispose it when it is not enumerated.
/// </remarks>
public sealed class GatewayResponse : IAsyncDisposable
{
    private GatewayResponse(int statusCode)
    {
        StatusCode = statusCode;
    }

    /// <summary>Gets the HTTP status to answer with.</summary>
    public int StatusCode { get; }

    /// <summary>Gets the complete body of a non-streaming success: JSON, or audio for speech.</summary>
    public ReadOnlyMemory<byte> Body { get; private init; }

    /// <summary>
    /// Gets a body that is passed on as it arrives rather than read whole (generated audio). A failure while it is read
    /// throws from the stream; the HTTP layer then aborts the response, so a cut file never looks complete.
    /// </summary>
    public Stream? BodyStream { get; private init; }

    /// <summary>Gets the media type of <see cref="Body"/> or <see cref="BodyStream"/>; null means <c>application/json</c>.</summary>
    public string? ContentType { get; private init; }

    /// <summary>
    /// Gets the events of a stream, each one JSON object in OpenAI's format (chat completion chunks, Responses API
    /// events), without the final <c>[DONE]</c>: the stream ends cleanly only when the upstream finished. A stream
    /// that fails after it started throws <see cref="LlmGatewayException"/> from its enumerator.
    /// </summary>
    public IAsyncEnumerable<GatewayEvent>? Events { get; private init; }

    /// <summary>Gets the error, when the call failed before any output.</summary>
    public GatewayError? Error { get; private init; }

    /// <summary>Gets the name of the provider instance that served the call, if any did.</summary>
    public string? ProviderName { get; set; }

    /// <summary>Gets how many targets the gateway tried for this answer (1 when the first answered).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <summary>Gets the model id of the target that gave this answer, as its upstream knows it.</summary>
    public string? TargetModel { get; internal set; }

    /// <summary>Gets the name usage and telemetry record this answer under: <see cref="TargetModel"/> as the
    /// configuration spells it, or <see cref="Internal.RouteTable.UnresolvedModel"/> for a model the client made up.</summary>
    internal string? UsageModel { get; set; }

    /// <summary>Gets or sets what the upstream handler did in the attempt that gave this answer (its retries, a
    /// first-byte timeout), for the attempt's telemetry.</summary>
    internal LlmGateway.Internal.UpstreamCallState? UpstreamCall { get; set; }

    /// <summary>Gets or sets the upstream's own request id, when it sent one (see <see cref="UpstreamRequests.RequestId"/>);
    /// a provider sets it on the response it made.</summary>
    public string? UpstreamRequestId { get; set; }

    /// <summary>Gets a value indicating whether the call succeeded.</summary>
    public bool IsSuccess => Error is null;

    internal IAsyncDisposable? Owner { get; init; }

    /// <summary>Gets the caller's rate-limit state once this call was counted, for the <c>x-ratelimit-*</c> headers; null
    /// when no rate limit applies to the caller.</summary>
    public RateLimitReport? RateLimit { get; internal set; }

    /// <summary>Gets the response cache's verdict on this response, for the <c>X-Cache</c> headers; null when the
    /// request was not one the cache takes.</summary>
    public CacheReport? Cache { get; internal set; }

    /// <summary>Gets the call's measurements (time spent upstream, attempts, tokens, cache, error type), for a host's
    /// overhead header and request log line; null when the call did not go through the gateway's pipeline. A stream's
    /// values are final once its events have been enumerated to the end.</summary>
    public GatewayResponseTelemetry? Telemetry { get; private set; }

    /// <summary>The call's telemetry as the pipeline keeps it; setting it sets <see cref="Telemetry"/>.</summary>
    internal LlmGateway.Internal.RequestTelemetry? RequestTelemetry
    {
        get;
        set
        {
            field = value;
            Telemetry = value is null ? null : new GatewayResponseTelemetry(value);
        }
    }

    /// <summary>
    /// Writes <see cref="Events"/> to <paramref name="destination"/> as OpenAI's server-sent events: each event as
    /// <c>data: {json}</c> (with an <c>event:</c> line when it has a type), flushed as it arrives;
    /// <c>data: [DONE]</c> after a clean end of a stream that uses it (<see cref="EndsWithDone"/>); after a failure one
    /// last error event (<c>data: {"error":…}</c>, or the Responses API's <c>error</c> event) and no <c>[DONE]</c>, so
    /// a cut stream never looks complete.
    /// </summary>
    /// <param name="destination">The client's body, such as an ASP.NET Core response's <c>BodyWriter</c>.</param>
    /// <param name="logger">Where a failed, cut or cancelled stream is logged; null logs nothing.</param>
    /// <param name="stopping">Fires when the host is stopping and may wait no longer: the stream then ends with a
    /// <c>server_shutting_down</c> error event. The request must have been sent with a token that fires with it too,
    /// so that the upstream read stops.</param>
    /// <param name="cancellationToken">The client's token: it fires when the client goes away.</param>
    /// <returns>A task that completes when the stream has ended, cleanly or not.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The response is not a stream (<see cref="Events"/> is null).</exception>
    public Task WriteEventStreamAsync(System.IO.Pipelines.PipeWriter destination, Microsoft.Extensions.Logging.ILogger? logger = null, CancellationToken stopping = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Events is null)
        {
            throw new InvalidOperationException("The response is not a stream.");
        }

        return LlmGateway.Internal.SseResponseWriter.WriteAsync(this, destination, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken, stopping);
    }

    /// <summary>Creates a non-streaming success.</summary>
    /// <param name="body">The body.</param>
    /// <param name="statusCode">The status, 200 by default.</param>
    /// <param name="contentType">The body's media type; null for <c>application/json</c>.</param>
    /// <returns>The response.</returns>
    public static GatewayResponse FromBody(ReadOnlyMemory<byte> body, int statusCode = 200, string? contentType = null) =>
        new(statusCode) { Body = body, ContentType = contentType };

    /// <summary>Creates a success whose body is passed on as it arrives.</summary>
    /// <param name="body">The body; disposed with the response.</param>
    /// <param name="contentType">Its media type.</param>
    /// <param name="owner">What else to dispose with the response (the upstream response), if anything.</param>
    /// <returns>The response.</returns>
    public static GatewayResponse FromStream(Stream body, string contentType, IDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(contentType);
        return new(200) { BodyStream = body, ContentType = contentType, Owner = new StreamOwner(body, owner) };
    }

    /// <summary>Gets a value indicating whether a clean end of <see cref="Events"/> is marked with <c>data: [DONE]</c>
    /// (chat completions) or not (the Responses API, whose last event says it all).</summary>
    public bool EndsWithDone { get; private init; } = true;

    /// <summary>Creates a streaming success.</summary>
    /// <param name="events">The events.</param>
    /// <param name="endsWithDone">Whether a clean end is marked with <c>data: [DONE]</c>.</param>
    /// <returns>The response.</returns>
    public static GatewayResponse FromEvents(IAsyncEnumerable<GatewayEvent> events, bool endsWithDone = true)
    {
        ArgumentNullException.ThrowIfNull(events);
        return new(200) { Events = events, EndsWithDone = endsWithDone };
    }

    /// <summary>Creates a failure.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The response.</returns>
    public static GatewayResponse FromError(GatewayError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(error.StatusCode) { Error = error };
    }

    /// <summary>Sets the upstream's request id on this response, which is still the provider's own (no copy).</summary>
    internal GatewayResponse WithUpstreamRequestIdSet(string? upstreamRequestId)
    {
        UpstreamRequestId = upstreamRequestId;
        return this;
    }

    /// <summary>Creates a copy of this response that carries the upstream's request id.</summary>
    /// <param name="upstreamRequestId">The upstream's request id.</param>
    /// <returns>The copy.</returns>
    public GatewayResponse WithUpstreamRequestId(string? upstreamRequestId) => new(StatusCode)
    {
        Body = Body,
        BodyStream = BodyStream,
        ContentType = ContentType,
        Events = Events,
        EndsWithDone = EndsWithDone,
        Error = Error,
        ProviderName = ProviderName,
        Owner = Owner,
        Attempts = Attempts,
        TargetModel = TargetModel,
        UsageModel = UsageModel,
        UpstreamRequestId = upstreamRequestId,
    };

    /// <summary>Creates a copy of a streamed response with its events passed through <paramref name="events"/>, e.g. for
    /// a gateway stage that watches or changes them; <paramref name="events"/> must enumerate <see cref="Events"/>. The
    /// copy disposes what this response would.</summary>
    /// <param name="events">The events, usually a wrapper of <see cref="Events"/>.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="InvalidOperationException">The response is not a stream.</exception>
    public GatewayResponse WithEvents(IAsyncEnumerable<GatewayEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return Events is null ? throw new InvalidOperationException("The response is not a stream.") : WithEvents(events, Owner);
    }

    internal GatewayResponse WithEvents(IAsyncEnumerable<GatewayEvent> events, IAsyncDisposable? owner) => new(StatusCode)
    {
        Events = events,
        EndsWithDone = EndsWithDone,
        ProviderName = ProviderName,
        Attempts = Attempts,
        TargetModel = TargetModel,
        UsageModel = UsageModel,
        UpstreamRequestId = UpstreamRequestId,
        Owner = owner,
        RateLimit = RateLimit,
        Cache = Cache,
        RequestTelemetry = RequestTelemetry,
    };

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Owner?.DisposeAsync() ?? ValueTask.CompletedTask;

    private sealed class StreamOwner(Stream body, IDisposable? owner) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await body.DisposeAsync();
            owner?.Dispose();
        }
    }
}
