using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The CORS policy of the gateway's endpoints, from <c>LlmGateway:Cors:Origins</c>.
/// </summary>
/// <remarks>
/// It lives in the library, not only in the host, because the library is what knows the endpoints (the policy applies
/// to them and to nothing else the app maps), the methods they take and the response headers a browser client needs
/// to read (<c>x-request-id</c>, <c>x-ratelimit-*</c>, <c>X-Cache*</c>, <c>x-llmgateway-*</c>), and because the origins are
/// gateway configuration, validated and reloaded with the rest. The middleware stays the app's, as with any ASP.NET
/// Core CORS: it calls <c>AddCors()</c> and <c>UseCors()</c>. The endpoints carry the policy only when origins are set
/// at start-up, since ASP.NET Core refuses every request to an endpoint with CORS metadata when <c>UseCors()</c> is
/// missing, and apps that never asked for CORS must not have to add it. Changes to the list apply without a restart.
/// </remarks>
internal sealed class GatewayCors(ILlmGatewayRuntime runtime) : ICorsPolicyMetadata
{
    /// <summary>Every header the gateway's responses carry beyond the CORS-safelisted ones. <c>Access-Control-Expose-Headers</c>
    /// takes no prefix wildcard, so the <c>x-ratelimit-*</c> family is spelled out.</summary>
    internal static readonly string[] ExposedHeaders =
    [
        RequestIds.HeaderName,
        "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
        "X-Cache", "X-Cache-Key", "X-Cache-TTL",
        ForwardEndpoint.ProviderHeader, ForwardEndpoint.ModelHeader, ForwardEndpoint.AttemptsHeader,
        ForwardEndpoint.UpstreamRequestIdHeader, ForwardEndpoint.OverheadHeader, "Retry-After",
    ];

    private static readonly string[] s_methods = ["GET", "POST", "PATCH", "DELETE"];

    private (LlmGatewayOptions? Options, CorsPolicy Policy) _cached;

    public CorsPolicy Policy
    {
        get
        {
            // Rebuilt only when a reload produced new options; a reload that failed validation keeps the last good one.
            var options = runtime.Options;
            var cached = _cached;
            if (ReferenceEquals(cached.Options, options))
            {
                return cached.Policy;
            }

            var policy = Build(options.Cors.Origins);
            _cached = (options, policy);
            return policy;
        }
    }

    /// <summary>Puts the policy on the gateway's endpoints when origins are configured.</summary>
    /// <exception cref="InvalidOperationException">Origins are set but the app did not call <c>AddCors()</c>.</exception>
    public static void Apply(IEndpointConventionBuilder group, IServiceProvider services)
    {
        var runtime = services.GetRequiredService<ILlmGatewayRuntime>();
        try
        {
            if (runtime.Options.Cors.Origins.Count == 0)
            {
                return;
            }
        }
        catch (OptionsValidationException)
        {
            // A bad configuration: the host refuses to start for it (ValidateOnStart), naming every error.
            return;
        }

        if (services.GetService<ICorsService>() is null)
        {
            throw new InvalidOperationException(
                "LlmGateway:Cors:Origins is set, which needs ASP.NET Core's CORS middleware: call builder.Services.AddCors() and app.UseCors().");
        }

        group.WithMetadata(new GatewayCors(runtime));
    }

    internal static CorsPolicy Build(IReadOnlyCollection<string> origins)
    {
        var builder = new CorsPolicyBuilder()
            .AllowAnyHeader()
            .WithMethods(s_methods)
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(TimeSpan.FromHours(1));
        return (origins.Contains("*") ? builder.AllowAnyOrigin() : builder.WithOrigins([.. origins])).Build();
    }
}
