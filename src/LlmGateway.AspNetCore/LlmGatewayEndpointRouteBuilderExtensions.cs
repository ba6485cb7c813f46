using LlmGateway.AspNetCore.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

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
    /// authenticated as <c>LlmGateway:Auth:Mode</c> says before a body is read. In mode None, which authenticates
    /// nobody, a request must be addressed to a loopback host or one in <c>LlmGateway:Auth:AllowedHosts</c> (else 403
    /// <c>host_not_allowed</c>), must not come from a browser page of an origin outside <c>LlmGateway:Cors:Origins</c>
    /// (else 403 <c>origin_not_allowed</c>), and a body sent to a JSON endpoint must be <c>application/json</c> (else
    /// 415 <c>unsupported_media_type</c>; transcriptions and translations take <c>multipart/form-data</c> in every mode);
    /// the health endpoints answer any host and origin.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the app, or a group to mount the gateway under a prefix).</param>
    /// <returns>A convention builder for every endpoint mapped, so an app can chain
    /// <c>RequireAuthorization()</c>, <c>RequireRateLimiting()</c> and the like.</returns>
    /// <remarks>Every response from these endpoints carries <c>x-request-id</c>: the client's own when it sent a sane
    /// one (1–128 characters of letters, digits, <c>. _ : -</c>), else a new one. With <c>LlmGateway:Cors:Origins</c>
    /// set at start-up the endpoints carry a CORS policy for those origins, which needs the app's <c>AddCors()</c> and
    /// <c>UseCors()</c>. The endpoints have names, summaries and tags for an app's OpenAPI document.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is null.</exception>
    public static IEndpointConventionBuilder MapLlmGateway(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(string.Empty);

        // Wraps each endpoint's delegate, minimal-API handlers and health checks alike, so the request id is set
        // before anything else runs, is on every response, errors included, and in the scope of every log line.
        // The logger and the metrics are resolved once here rather than per request.
        var scope = RequestScope.Create(endpoints.ServiceProvider);
        ((IEndpointConventionBuilder)group).Add(builder =>
        {
            if (builder.RequestDelegate is { } next)
            {
                var endpoint = (builder as RouteEndpointBuilder)?.RoutePattern.RawText ?? builder.DisplayName ?? "unknown";
                builder.RequestDelegate = context => scope.InvokeAsync(context, next, endpoint);
            }
        });

        // Names (OpenAI's operation ids), summaries and tags describe the endpoints in an OpenAPI document when the app
        // adds one (AddOpenApi/MapOpenApi); bodies go upstream as they are, so their schemas stay open.
        group.MapPost("/v1/chat/completions", Forward(GatewayOperation.ChatCompletions, scope.Logger))
            .Describe("createChatCompletion", "Creates a chat completion, streamed as server-sent events when stream is true.", "Chat", Json, "text/event-stream");
        group.MapPost("/v1/embeddings", Forward(GatewayOperation.Embeddings, scope.Logger))
            .Describe("createEmbedding", "Creates embeddings of the input.", "Embeddings", Json);
        group.MapPost("/v1/audio/speech", Forward(GatewayOperation.AudioSpeech, scope.Logger))
            .Describe("createSpeech", "Generates audio from text.", "Audio", "application/octet-stream", "audio/mpeg", "text/event-stream");
        group.MapPost("/v1/audio/transcriptions", Forward(GatewayOperation.AudioTranscriptions, scope.Logger))
            .Describe("createTranscription", "Transcribes an uploaded audio file.", "Audio", Json, "text/plain", "text/event-stream");
        group.MapPost("/v1/audio/translations", Forward(GatewayOperation.AudioTranslations, scope.Logger))
            .Describe("createTranslation", "Translates an uploaded audio file into English.", "Audio", Json, "text/plain");
        group.MapPost("/v1/responses", Forward(GatewayOperation.Responses, scope.Logger))
            .Describe("createResponse", "Creates a model response (the Responses API), streamed when stream is true.", "Responses", Json, "text/event-stream");
        group.MapMethods("/v1/responses/{**rest}", ["GET", "DELETE", "POST"], Forward(GatewayOperation.ResponsesResource, scope.Logger))
            .Describe("responseResource", "Retrieves, deletes or cancels a stored response ({id}, {id}/cancel, {id}/input_items).", "Responses", Json);
        group.MapGet("/v1/models", ModelsEndpoints.ListAsync).Describe("listModels", "Lists the models the gateway serves.", "Models", Json);
        group.MapGet("/v1/models/{**id}", ModelsEndpoints.GetAsync).Describe("retrieveModel", "Describes one model.", "Models", Json);
        // Health answers any Host and Origin in mode None too: probes address the host by an IP or a service name, and
        // a health report holds no secret and spends nothing.
        group.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthWriter.WriteAsync }).WithMetadata(RequestScope.AnyHost.Instance);
        group.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = HealthWriter.WriteAsync }).WithMetadata(RequestScope.AnyHost.Instance);
        group.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains("ready"),
            ResponseWriter = HealthWriter.WriteAsync,

            // Only this process's own state is ready-tagged (configuration and keys, Redis), never upstream circuits:
            // those are shared by every replica, and would take them all out of rotation at once. A ready-tagged
            // check is Degraded only when this instance should not get traffic (Redis configured and away): not
            // ready. /health keeps reporting it as Degraded with 200.
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = Microsoft.AspNetCore.Http.StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
            },
        }).WithMetadata(RequestScope.AnyHost.Instance);
        AdminEndpoints.Map(group);
        group.Map("/v1/{**path}", FallbackEndpoint.HandleAsync);
        GatewayCors.Apply(group, endpoints.ServiceProvider);
        NoneModeGuard.Register(endpoints.ServiceProvider);
        ShutdownCheck.Register(endpoints.ServiceProvider);
        return group;
    }

    private const string Json = "application/json";

    /// <summary>A <see cref="Delegate"/>, not a <see cref="RequestDelegate"/>, so the endpoint is a route handler that
    /// an OpenAPI document describes.</summary>
    private static Delegate Forward(GatewayOperation operation, ILogger logger) => (HttpContext context) => ForwardEndpoint.HandleAsync(context, operation, logger);

    /// <remarks>No <c>Accepts()</c>: its content-type metadata also takes part in routing, so a chat request that curl
    /// labels form-urlencoded, or a JSON body on an upload endpoint, would no longer reach the endpoint and its own error.</remarks>
    private static void Describe(this RouteHandlerBuilder builder, string name, string summary, string tag, string produces, params string[] alsoProduces) =>
        builder.WithName(name).WithSummary(summary).WithTags(tag)
            .Produces(StatusCodes.Status200OK, produces == Json ? typeof(System.Text.Json.JsonElement) : null, produces, alsoProduces);
}
