using LlmGateway.AspNetCore.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmGateway;

/// <summary>Maps LlmGateway's endpoints: the OpenAI-compatible API, the health endpoints and the admin API, each by its
/// own call, so an app maps only what it serves and can put each behind its own policies.</summary>
public static class LlmGatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the OpenAI-compatible API: <c>POST /v1/chat/completions</c>, <c>POST /v1/embeddings</c>, <c>POST /v1/audio/speech</c>, <c>POST /v1/audio/transcriptions</c>, <c>POST /v1/audio/translations</c>, <c>/v1/responses</c> (create, and
    /// <c>GET</c>/<c>DELETE /v1/responses/{id}</c>, <c>POST …/cancel</c>, <c>GET …/input_items</c>), <c>GET /v1/models</c>,
    /// <c>GET /v1/models/{id}</c>, and a fallback that answers any other <c>/v1/…</c> path with a 404 (or 405) error
    /// envelope. The health endpoints and the admin API are mapped by <see cref="MapLlmGatewayHealth"/> and
    /// <see cref="MapLlmGatewayAdmin"/>. Callers are authenticated as <c>LlmGateway:Auth:Mode</c> says before a body is
    /// read. In mode None, which authenticates nobody, a request must be addressed to a loopback host or one in
    /// <c>LlmGateway:Auth:AllowedHosts</c> (else 403 <c>host_not_allowed</c>), must not come from a browser page of an
    /// origin outside <c>LlmGateway:Cors:Origins</c> (else 403 <c>origin_not_allowed</c>), and a body sent to a JSON
    /// endpoint must be <c>application/json</c> (else 415 <c>unsupported_media_type</c>; transcriptions and translations
    /// take <c>multipart/form-data</c> in every mode).
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the app, or a group to mount the gateway under a prefix).</param>
    /// <returns>A convention builder for every endpoint mapped, so an app can chain
    /// <c>RequireAuthorization()</c>, <c>RequireRateLimiting()</c> and the like.</returns>
    /// <remarks>Every response from these endpoints carries <c>x-request-id</c>: the client's own when it sent a sane
    /// one (1–128 characters of letters, digits, <c>. _ : -</c>), else a new one. With <c>LlmGateway:Cors:Origins</c>
    /// set at start-up the endpoints carry a CORS policy for those origins, which needs the app's <c>AddCors()</c> and
    /// <c>UseCors()</c>. The endpoints have names, summaries and tags for an app's OpenAPI document. In mode None, a
    /// host that listens beyond loopback fails to start (its <c>StartAsync</c> or <c>Run</c> throws an
    /// <see cref="InvalidOperationException"/> naming the address) unless <c>LlmGateway:Auth:AllowNoneBeyondLoopback</c>
    /// is set; this applies once any of the three mapping methods is called.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is null.</exception>
    public static IEndpointConventionBuilder MapLlmGateway(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = GatewayEndpointSetup.CreateGroup(endpoints, out var scope);

        // Names (OpenAI's operation ids), summaries and tags describe the endpoints in an OpenAPI document when the app
        // adds one (AddOpenApi/MapOpenApi); bodies go upstream as they are, so their schemas stay open.
        group.MapPost("/v1/chat/completions", Forward(GatewayOperation.ChatCompletions, scope))
            .Describe("createChatCompletion", "Creates a chat completion, streamed as server-sent events when stream is true.", "Chat", Json, "text/event-stream");
        group.MapPost("/v1/embeddings", Forward(GatewayOperation.Embeddings, scope))
            .Describe("createEmbedding", "Creates embeddings of the input.", "Embeddings", Json);
        group.MapPost("/v1/audio/speech", Forward(GatewayOperation.AudioSpeech, scope))
            .Describe("createSpeech", "Generates audio from text.", "Audio", "application/octet-stream", "audio/mpeg", "text/event-stream");
        group.MapPost("/v1/audio/transcriptions", Forward(GatewayOperation.AudioTranscriptions, scope))
            .Describe("createTranscription", "Transcribes an uploaded audio file.", "Audio", Json, "text/plain", "text/event-stream");
        group.MapPost("/v1/audio/translations", Forward(GatewayOperation.AudioTranslations, scope))
            .Describe("createTranslation", "Translates an uploaded audio file into English.", "Audio", Json, "text/plain");
        group.MapPost("/v1/responses", Forward(GatewayOperation.Responses, scope))
            .Describe("createResponse", "Creates a model response (the Responses API), streamed when stream is true.", "Responses", Json, "text/event-stream");
        group.MapMethods("/v1/responses/{**rest}", ["GET", "DELETE", "POST"], Forward(GatewayOperation.ResponsesResource, scope))
            .Describe("responseResource", "Retrieves, deletes or cancels a stored response ({id}, {id}/cancel, {id}/input_items).", "Responses", Json);
        group.MapGet("/v1/models", ModelsEndpoints.ListAsync).Describe("listModels", "Lists the models the gateway serves.", "Models", Json);
        group.MapGet("/v1/models/{**id}", ModelsEndpoints.GetAsync).Describe("retrieveModel", "Describes one model.", "Models", Json);
        group.Map("/v1/{**path}", FallbackEndpoint.HandleAsync);
        GatewayCors.Apply(group, endpoints.ServiceProvider);
        return group;
    }

    /// <summary>
    /// Maps the health endpoints: <c>GET /health</c> (every check; 200 when Healthy or Degraded, 503 when Unhealthy),
    /// <c>GET /health/live</c> (no check: 200 while the process answers) and <c>GET /health/ready</c> (the checks of this
    /// instance's own state, configuration, keys and Redis; 503 unless all are Healthy), each answered as JSON without
    /// a key. They answer any <c>Host</c> and <c>Origin</c> in auth mode None too: probes address the host by an IP or
    /// a service name, and a health report holds no secret and spends nothing.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the app, or a group to mount the endpoints under a prefix).</param>
    /// <returns>A convention builder for the health endpoints, so an app can chain <c>RequireHost()</c>,
    /// <c>RequireAuthorization()</c> and the like.</returns>
    /// <remarks>Every response carries <c>x-request-id</c>, as with <see cref="MapLlmGateway"/>, and the endpoints carry
    /// the CORS policy of <c>LlmGateway:Cors:Origins</c> when set at start-up.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is null.</exception>
    public static IEndpointConventionBuilder MapLlmGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = GatewayEndpointSetup.CreateGroup(endpoints, out _);

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
        GatewayCors.Apply(group, endpoints.ServiceProvider);
        return group;
    }

    /// <summary>
    /// Maps the admin API under <c>/admin/</c>: gateway keys (create, list, read, change, revoke, rotate), usage
    /// reports and the response-cache purge. Every admin request needs <c>LlmGateway:Auth:AdminKey</c> as its bearer
    /// token; without that setting the admin API answers 404 to everything. In auth mode None it answers only the
    /// hosts and origins the OpenAI-compatible API does.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the app, or a group to mount the endpoints under a prefix).</param>
    /// <returns>A convention builder for the admin endpoints, so an app can chain <c>RequireHost()</c>,
    /// <c>RequireAuthorization()</c> and the like.</returns>
    /// <remarks>Every response carries <c>x-request-id</c>, as with <see cref="MapLlmGateway"/>, and the endpoints carry
    /// the CORS policy of <c>LlmGateway:Cors:Origins</c> when set at start-up.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is null.</exception>
    public static IEndpointConventionBuilder MapLlmGatewayAdmin(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = GatewayEndpointSetup.CreateGroup(endpoints, out _);
        AdminEndpoints.Map(group);
        GatewayCors.Apply(group, endpoints.ServiceProvider);
        return group;
    }

    private const string Json = "application/json";

    /// <summary>A <see cref="Delegate"/>, not a <see cref="RequestDelegate"/>, so the endpoint is a route handler that
    /// an OpenAPI document describes.</summary>
    private static Delegate Forward(GatewayOperation operation, RequestScope scope) => (HttpContext context) => ForwardEndpoint.HandleAsync(context, operation, scope.Logger, scope.Metrics);

    /// <remarks>No <c>Accepts()</c>: its content-type metadata also takes part in routing, so a chat request that curl
    /// labels form-urlencoded, or a JSON body on an upload endpoint, would no longer reach the endpoint and its own error.</remarks>
    private static void Describe(this RouteHandlerBuilder builder, string name, string summary, string tag, string produces, params string[] alsoProduces) =>
        builder.WithName(name).WithSummary(summary).WithTags(tag)
            .Produces(StatusCodes.Status200OK, produces == Json ? typeof(System.Text.Json.JsonElement) : null, produces, alsoProduces);
}
