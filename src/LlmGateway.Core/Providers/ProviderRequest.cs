namespace LlmGateway;

/// <summary>
/// A request the gateway hands to a provider instance: an OpenAI-format JSON body whose <c>model</c> is already the
/// id the upstream knows.
/// </summary>
public sealed class ProviderRequest
{
    /// <summary>Creates a provider request.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="body">The OpenAI-format JSON body, with the upstream's model id.</param>
    /// <param name="model">The upstream's model id.</param>
    /// <param name="stream">Whether the client asked for a stream.</param>
    public ProviderRequest(GatewayOperation operation, ReadOnlyMemory<byte> body, string model, bool stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        Operation = operation;
        Body = body;
        Model = model;
        Stream = stream;
    }

    /// <summary>Gets the operation.</summary>
    public GatewayOperation Operation { get; }

    /// <summary>Gets the OpenAI-format JSON body. Providers must not change the memory behind it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the upstream's model id.</summary>
    public string Model { get; }

    /// <summary>Gets a value indicating whether the client asked for a stream.</summary>
    public bool Stream { get; }

    /// <summary>Gets the gateway's request id, sent upstream where the provider has a header for it.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the body's media type as the client sent it (with its multipart boundary); null means JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets, for <see cref="GatewayOperation.ResponsesResource"/>, the HTTP method.</summary>
    public HttpMethod? Method { get; init; }

    /// <summary>Gets, for <see cref="GatewayOperation.ResponsesResource"/>, the path below <c>/v1/</c> with its query
    /// string, e.g. <c>responses/resp_123/input_items?limit=10</c>.</summary>
    public string? ResourcePath { get; init; }

    /// <summary>
    /// Gets a value indicating whether the provider may retry on the same upstream as usual. The gateway turns it off
    /// while other targets remain: the upstream handler (<see cref="UpstreamRequests.Prepare"/>) then retries at most
    /// once, and only where waiting pays (<see cref="UpstreamResilienceOptions.Patience"/>), so a failing target hands
    /// over to the next instead of being retried at length first.
    /// </summary>
    public bool AllowRetries { get; init; } = true;

    /// <summary>Gets what the gateway and the upstream handler share about this attempt (its retry deadline, the
    /// retries made); null for a request the gateway's pipeline did not make.</summary>
    internal LlmGateway.Internal.UpstreamCallState? Upstream { get; init; }

    /// <summary>
    /// Gets the time this call may take, when the request's remaining budget is shorter than the provider's own
    /// <see cref="LlmGatewayOptions.RequestTimeout"/>; providers use the shorter of the two.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Gets the key to send upstream instead of the instance's configured one, for this call only: a key the caller
    /// brought, or one stored with its gateway key. Providers must use it when set, and must never store it, cache
    /// anything under it or log it.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Gets the id of the caller (its gateway key's id) the call's outcome counts for in the upstream's circuit, so one
    /// caller's failing requests hold back only that caller; null counts as in-process. Copy it onto any further
    /// request a provider makes for this one; <see cref="UpstreamRequests.Prepare"/> passes it to the handler.
    /// </summary>
    public string? CallerId { get; init; }

    /// <summary>
    /// Gets a value indicating whether <see cref="ApiKey"/> is the caller's own key (Client mode, or Hybrid with the
    /// <c>x-llmgateway-provider-key</c> header) rather than a credential the gateway holds (the instance's configured
    /// key, or one stored with the caller's gateway key). An upstream's 401 or 403 is then about the caller's key and
    /// reaches the caller as such; otherwise it is the operator's problem and the caller gets a 502.
    /// </summary>
    public bool ApiKeyFromCaller { get; init; }

    /// <summary>The shorter of <see cref="Timeout"/> and a provider's own timeout.</summary>
    /// <param name="providerTimeout">The provider's own timeout.</param>
    /// <returns>The timeout to use.</returns>
    public TimeSpan TimeoutOr(TimeSpan providerTimeout) => Timeout is { } budget && budget < providerTimeout ? budget : providerTimeout;
}
