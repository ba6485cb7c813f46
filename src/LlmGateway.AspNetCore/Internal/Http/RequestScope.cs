using System.Collections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// What runs around every gateway endpoint: the request id is set first, every log line of the request carries it in
/// a <c>RequestId</c> scope (nested inside ASP.NET Core's own request scope, which is left as it is), and the answer
/// is counted by endpoint and status. In auth mode None it refuses, before the endpoint runs, a request whose
/// <c>Host</c> or <c>Origin</c> that mode does not serve (<see cref="NoneModeRequests"/>); the health endpoints
/// (marked <see cref="AnyHost"/>) answer any, for probes that address the host by an IP or a service name.
/// </summary>
internal sealed class RequestScope(ILogger logger, HttpMetrics metrics, ILlmGatewayRuntime runtime)
{
    public const string LoggerCategory = "LlmGateway.AspNetCore";

    /// <summary>Gets the <c>LlmGateway.AspNetCore</c> logger, made once per mapping for the endpoints to share.</summary>
    public ILogger Logger => logger;

    /// <summary>Gets the HTTP layer's instruments, made once per mapping for the endpoints to share.</summary>
    public HttpMetrics Metrics => metrics;

    public static RequestScope Create(IServiceProvider services) =>
        new(services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory), HttpMetrics.Create(services), services.GetRequiredService<ILlmGatewayRuntime>());

    /// <param name="context">The request.</param>
    /// <param name="next">The endpoint's own delegate.</param>
    /// <param name="endpoint">The endpoint's route pattern, the <c>llmgateway.endpoint</c> tag.</param>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next, string endpoint)
    {
        RequestIds.Apply(context);
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            using (logger.BeginScope(new State(RequestIds.Get(context)!)))
            {
                var options = runtime.Options;
                if (options.Auth.Mode == GatewayAuthMode.None
                    && NoneModeRequests.CheckHostAndOrigin(context.Request, options) is { } refused
                    && context.GetEndpoint()?.Metadata.GetMetadata<AnyHost>() is null)
                {
                    logger.NoneModeRequestRefused(refused.Code, context.Request.Host.Value, context.Request.Headers.Origin.ToString());
                    await ErrorResults.WriteAsync(context, refused);
                }
                else
                {
                    await next(context);
                }
            }

            status = context.Response.StatusCode;
        }
        finally
        {
            metrics.RecordRequest(endpoint, status);
        }
    }

    /// <summary>Marks an endpoint that answers in auth mode None whatever the request's <c>Host</c> and <c>Origin</c>.</summary>
    internal sealed class AnyHost
    {
        public static readonly AnyHost Instance = new();
    }

    /// <summary>The scope's state: one <c>RequestId</c> value, for structured loggers, and a readable text for others.</summary>
    private sealed class State(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new KeyValuePair<string, object?>("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"RequestId:{requestId}";
    }
}
