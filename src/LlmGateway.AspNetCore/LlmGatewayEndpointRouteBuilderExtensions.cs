using LlmGateway.AspNetCore.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace LlmGateway;

/// <summary>Maps LlmGateway's OpenAI-compatible endpoints.</summary>
public static class LlmGatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>, <c>POST /v1/embeddings</c>, <c>POST /v1/audio/speech</c>, <c>POST /v1/audio/transcriptions</c>, <c>POST /v1/audio/translations</c>, <c>/v1/responses</c> (create, and
    /// <c>GET</c>/<c>DELETE /v1/responses/{id}</c>, <c>POST …/cancel</c>, <c>GET …/input_items</c>), <c>GET /v1/models</c>,
    /// <c>GET /v1/models/{id}</c>, the health endpoints <c>/health</c>, <c>/health/live</c> and <c>/health/ready</c>,
    /// the admin API under <c>/admin/</c> (keys and usage; it answers 404 unless <c>LlmGateway:Auth:AdminKey</c> is
    /// set), and a fallback that answers any other <c>/v1/…</c> path with a 404 (or 405) error envelope. Callers are
    /// authenticated as <c>LlmGateway:Auth:Mode</c> says before a body is read.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the app, or a group to mount the gateway under a prefix).</param>
    /// <returns>A convention builder for every endpoint mapped, so an app can chain
    /// <c>RequireAuthorization()</c>, <c>RequireRateLimiting()</c> and the like.</returns>
    /// <remarks>Every response from these endpoints carries <c>x-request-id</c>: the client's own when it sent a sane
    /// one (1–128 characters of letters, digits, <c>. _ : -</c>), else a new one.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is null.</exception>
    public static IEndpointConventionBuilder MapLlmGateway(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(string.Empty);

        // Wraps each endpoint's delegate, minimal-API handlers and health checks alike, so the request id is set
        // before anything else runs and is on every response, errors included.
        ((IEndpointConventionBuilder)group).Add(static builder =>
        {
            if (builder.RequestDelegate is { } next)
            {
                builder.RequestDelegate = context =>
                {
                    RequestIds.Apply(context);
                    return next(context);
                };
            }
        });

        group.MapPost("/v1/chat/completions", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.ChatCompletions));
        group.MapPost("/v1/embeddings", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.Embeddings));
        group.MapPost("/v1/audio/speech", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.AudioSpeech));
        group.MapPost("/v1/audio/transcriptions", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.AudioTranscriptions));
        group.MapPost("/v1/audio/translations", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.AudioTranslations));
        group.MapPost("/v1/responses", static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.Responses));
        group.MapMethods("/v1/responses/{**rest}", ["GET", "DELETE", "POST"], static (Microsoft.AspNetCore.Http.HttpContext context) => ForwardEndpoint.HandleAsync(context, GatewayOperation.ResponsesResource));
        group.MapGet("/v1/models", ModelsEndpoints.ListAsync);
        group.MapGet("/v1/models/{**id}", ModelsEndpoints.GetAsync);
        group.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthWriter.WriteAsync });
        group.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = HealthWriter.WriteAsync });
        group.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains("ready"),
            ResponseWriter = HealthWriter.WriteAsync,

            // A ready-tagged check is Degraded only when this instance should not get traffic (Redis configured and
            // away): not ready. /health keeps reporting it as Degraded with 200.
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = Microsoft.AspNetCore.Http.StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
            },
        });
        AdminEndpoints.Map(group);
        group.Map("/v1/{**path}", FallbackEndpoint.HandleAsync);
        NoneModeGuard.Register(endpoints.ServiceProvider);
        ShutdownCheck.Register(endpoints.ServiceProvider);
        return group;
    }
}
