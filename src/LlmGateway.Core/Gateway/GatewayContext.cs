using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// One request as it passes the gateway's stages (<see cref="LlmGatewayBuilderExtensions.Use(ILlmGatewayBuilder, Func{GatewayRequestDelegate, GatewayRequestDelegate})"/>):
/// the request, what is known of it, the services, and a bag for the stages' own data.
/// </summary>
/// <remarks>Stages run after admission: the caller is authenticated and within its limits. Replace
/// <see cref="Request"/> with <see cref="GatewayRequest.WithBody"/> to change the body; its operation, caller and
/// headers stay those that were admitted.</remarks>
public sealed class GatewayContext
{
    private Dictionary<object, object?>? _items;
    private GatewayRequest _request;

    internal GatewayContext(GatewayRequest request, string? model, IServiceProvider requestServices, CancellationToken cancellationToken)
    {
        _request = request;
        Model = model;
        RequestServices = requestServices;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets or sets the request. The stages after this one, the response cache's key and the upstream see the
    /// body of the request set here.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public GatewayRequest Request
    {
        get => _request;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _request = value;
        }
    }

    /// <summary>Gets the model (or alias) the request names, as the client spelled it; null for a request about a stored
    /// response, which names none.</summary>
    public string? Model { get; }

    /// <summary>Gets the services: an HTTP request's scope, else the application's.</summary>
    public IServiceProvider RequestServices { get; }

    /// <summary>Gets the token that is cancelled when the caller goes away.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets a bag for data the stages share about this request.</summary>
    public IDictionary<object, object?> Items => _items ??= [];

    internal RouteTable? Table { get; init; }

    internal GatewayRequest? Admitted { get; init; }

    internal RequestPeek Peek { get; init; }

    internal Admission? Admission { get; init; }

    internal RouteTarget? Pinned { get; init; }

    internal RequestTelemetry? Telemetry { get; init; }

    /// <summary>For a request about a stored response: the instance that created it, empty when unknown.</summary>
    internal string? ResourceOwner { get; init; }

    /// <summary>Whether the request went past the stages to the cache and the upstream.</summary>
    internal bool ReachedGateway { get; set; }
}

/// <summary>A gateway stage, or the rest of the pipeline after one: answers a request.</summary>
/// <param name="context">The request's context.</param>
/// <returns>The response.</returns>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Named like ASP.NET Core's RequestDelegate, whose role it has.")]
public delegate ValueTask<GatewayResponse> GatewayRequestDelegate(GatewayContext context);

/// <summary>
/// A gateway stage as a class, added with <see cref="LlmGatewayBuilderExtensions.Use{TMiddleware}(ILlmGatewayBuilder)"/>:
/// created once from the container, and called concurrently for every request.
/// </summary>
public interface ILlmGatewayMiddleware
{
    /// <summary>Handles a request: look at or change it, call <paramref name="next"/> (or answer without it), and look
    /// at or replace the response.</summary>
    /// <param name="context">The request's context.</param>
    /// <param name="next">The rest of the pipeline.</param>
    /// <returns>The response.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Named like ASP.NET Core's IMiddleware.InvokeAsync parameter.")]
    ValueTask<GatewayResponse> InvokeAsync(GatewayContext context, GatewayRequestDelegate next);
}
