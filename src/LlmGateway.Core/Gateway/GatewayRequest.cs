namespace LlmGateway;

/// <summary>A request to the gateway: an operation and its OpenAI-format JSON body, as a client would send it.</summary>
public sealed class GatewayRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="body">The OpenAI-format JSON body. The gateway does not change the memory behind it.</param>
    public GatewayRequest(GatewayOperation operation, ReadOnlyMemory<byte> body)
    {
        Operation = operation;
        Body = body;
    }

    /// <summary>Gets the operation.</summary>
    public GatewayOperation Operation { get; }

    /// <summary>Gets the body.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the request id, passed upstream where the provider has a header for it.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the body's media type as the client sent it (with its multipart boundary); null means JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets, for <see cref="GatewayOperation.ResponsesResource"/>, the HTTP method.</summary>
    public HttpMethod? Method { get; init; }

    /// <summary>Gets, for <see cref="GatewayOperation.ResponsesResource"/>, the path below <c>/v1/</c> with its query
    /// string, e.g. <c>responses/resp_123/input_items?limit=10</c>.</summary>
    public string? ResourcePath { get; init; }

    /// <summary>Gets the provider instance the caller pinned for this request (the <c>x-llmgateway-provider</c> request
    /// header), if any: the model goes to that instance and no other, with no failover.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the caller whose policy (models, rate limits, budgets) applies and whose usage the call counts to:
    /// set by the HTTP host from what authenticated the request, or by in-process code acting for a named caller. Null:
    /// a trusted in-process call, not limited and counted as <c>in-process</c>.</summary>
    public GatewayCaller? Caller { get; init; }

    /// <summary>Gets a provider key the caller brought (Client and Hybrid modes, see
    /// <see cref="GatewayAuthenticationResult.ProviderKey"/>), used instead of the provider instance's configured key for
    /// this call only: never stored, cached under or logged. Null: the instance's key (or the caller's stored one).</summary>
    public string? ProviderApiKey { get; init; }

    /// <summary>Gets what this request asks of the response cache (an HTTP host reads it from the request's
    /// <c>Cache-Control</c> and <c>x-llmgateway-cache-ttl</c> headers); the default asks nothing.</summary>
    public CacheDirectives CacheDirectives { get; init; }

    /// <summary>Gets the services of the scope the request runs in (an HTTP host passes its request's scope), given to
    /// gateway stages as <see cref="GatewayContext.RequestServices"/>. Null: the application's services.</summary>
    public IServiceProvider? RequestServices { get; init; }

    /// <summary>Creates a copy with another body and everything else the same, e.g. for a gateway stage that redacts
    /// the body (see <see cref="GatewayContext.Request"/>).</summary>
    /// <param name="body">The new body.</param>
    /// <returns>The copy.</returns>
    public GatewayRequest WithBody(ReadOnlyMemory<byte> body) => new(Operation, body)
    {
        RequestServices = RequestServices,
        RequestId = RequestId,
        ContentType = ContentType,
        Method = Method,
        ResourcePath = ResourcePath,
        Provider = Provider,
        Caller = Caller,
        ProviderApiKey = ProviderApiKey,
        CacheDirectives = CacheDirectives,
    };
}
