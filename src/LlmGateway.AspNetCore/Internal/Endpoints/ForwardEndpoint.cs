using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// <c>POST /v1/chat/completions</c>, <c>/v1/embeddings</c> and <c>/v1/audio/speech</c>: read the body once, hand it to the pipeline,
/// write what comes back (a JSON body, a stream, or an error envelope). This is the catch-all boundary: no exception
/// reaches the client as a stack trace.
/// </summary>
internal static class ForwardEndpoint
{
    public const string ProviderHeader = "x-llmgateway-provider";
    public const string UpstreamRequestIdHeader = "x-upstream-request-id";
    public const string ModelHeader = "x-llmgateway-model";
    public const string AttemptsHeader = "x-llmgateway-attempts";
    public const string CacheTtlHeader = "x-llmgateway-cache-ttl";
    public const string OverheadHeader = "x-llmgateway-overhead-ms";

    /// <param name="context">The request.</param>
    /// <param name="operation">The endpoint's operation.</param>
    /// <param name="logger">The <c>LlmGateway.AspNetCore</c> logger, made once when the endpoints were mapped.</param>
    /// <param name="metrics">The HTTP layer's instruments, made once when the endpoints were mapped.</param>
    public static async Task HandleAsync(HttpContext context, GatewayOperation operation, ILogger logger, HttpMetrics metrics)
    {
        var services = context.RequestServices;
        var record = new RequestRecord(context, operation, metrics);

        // The request ends when the client goes away, or when the host is stopping and the drain time is over.
        var runtime = services.GetRequiredService<ILlmGatewayRuntime>();
        var drainExpired = runtime.ShutdownDrainExpired;
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, drainExpired);
        try
        {
            var auth = await CallerAuthentication.AuthenticateAsync(context);
            if (auth.Error is { } refused)
            {
                await record.RefuseAsync(refused);
                return;
            }

            var options = runtime.Options;
            if (options.Auth.Mode == GatewayAuthMode.None && NoneModeRequests.CheckContentType(context, operation) is { } unsupported)
            {
                await record.RefuseAsync(unsupported);
                return;
            }

            var limit = RequestBodyLimit.For(options, operation);
            var reading = record.Clock.GetTimestamp();
            var (body, readError) = await RequestBodyReader.ReadAsync(context, limit);
            record.ClientTime = record.Clock.GetElapsedTime(reading);
            if (readError is not null)
            {
                await record.RefuseAsync(readError);
                return;
            }

            var gateway = services.GetRequiredService<ILlmGateway>();
            var isResource = operation == GatewayOperation.ResponsesResource;
            if (isResource && !IsResponsePath(context.Request.RouteValues["rest"] as string))
            {
                // Only a response id, optionally with /cancel or /input_items, goes upstream: any other path would send
                // the gateway's provider key to whatever the client names on the upstream host.
                await record.RefuseAsync(new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({context.Request.Method} {context.Request.Path})."));
                return;
            }

            var (directives, directivesError) = CacheDirectivesOf(context.Request);
            if (directivesError is not null)
            {
                await record.RefuseAsync(directivesError);
                return;
            }

            var request = new GatewayRequest(operation, body)
            {
                CacheDirectives = directives,
                RequestId = RequestIds.Get(context),
                Method = isResource ? new HttpMethod(context.Request.Method) : null,
                ResourcePath = isResource ? $"responses/{context.Request.RouteValues["rest"]}{context.Request.QueryString}" : null,
                Provider = context.Request.Headers[ProviderHeader] is [{ Length: > 0 } pinned] ? pinned : null,
                Caller = auth.Caller,
                ProviderApiKey = auth.ProviderKey,
                RequestServices = context.RequestServices,
                // JSON operations are JSON whatever the client labelled them (curl -d says form-urlencoded), except in
                // mode None, which took only application/json above; uploads keep their multipart content type and boundary.
                ContentType = operation is GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations ? context.Request.ContentType : null,
            };
            var response = await gateway.SendAsync(request, lifetime.Token);
            record.Response = response;
            await using (response)
            {
                await WriteAsync(context, response, logger, record, lifetime.Token, drainExpired);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (OperationCanceledException) when (drainExpired.IsCancellationRequested)
        {
            // Still waiting for an answer when the drain time ran out: say so, rather than being dropped.
            logger.RequestCutByShutdown(ClientText.ForLog(context.Request.Path));
            if (!context.Response.HasStarted)
            {
                await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.ServerShuttingDown, "The gateway is shutting down; the request did not finish in time. Retry the request."));
            }
        }
        catch (Exception ex)
        {
            logger.EndpointFailed(ClientText.ForLog(context.Request.Path), ex);
            await record.RefuseAsync(new GatewayError(GatewayErrorKind.Internal, "The gateway failed to handle the request."));
        }
        finally
        {
            record.Log(logger);
        }
    }

    /// <summary>
    /// What the request asks of the cache: <c>Cache-Control: no-cache</c> (answer fresh), <c>no-store</c> (do not keep
    /// the answer), and <c>x-llmgateway-cache-ttl</c>, the entry's lifetime in seconds (1 to 2,592,000, 30 days).
    /// </summary>
    internal static (CacheDirectives Directives, GatewayError? Error) CacheDirectivesOf(HttpRequest request)
    {
        var noCache = false;
        var noStore = false;
        foreach (var value in request.Headers.CacheControl)
        {
            foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                noCache |= part.Equals("no-cache", StringComparison.OrdinalIgnoreCase);
                noStore |= part.Equals("no-store", StringComparison.OrdinalIgnoreCase);
            }
        }

        TimeSpan? ttl = null;
        if (request.Headers[CacheTtlHeader] is [{ } text])
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 2_592_000)
            {
                return (default, new GatewayError(GatewayErrorKind.InvalidRequest, $"The {CacheTtlHeader} header must be a whole number of seconds from 1 to 2592000.", CacheTtlHeader));
            }

            ttl = TimeSpan.FromSeconds(seconds);
        }

        return (new CacheDirectives(noCache, noStore, ttl), null);
    }

    /// <summary>Whether a path below <c>/v1/responses/</c> is <c>{id}</c>, <c>{id}/cancel</c> or <c>{id}/input_items</c>.</summary>
    internal static bool IsResponsePath(string? rest)
    {
        if (string.IsNullOrEmpty(rest))
        {
            return false;
        }

        var segments = rest.Split('/');
        return segments.Length <= 2
            && segments[0].Length is > 0 and <= 256
            && segments[0].All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            && (segments.Length == 1 || segments[1] is "cancel" or "input_items");
    }

    /// <param name="context">The request.</param>
    /// <param name="response">What the pipeline answered.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="record">The request's telemetry record (overhead header).</param>
    /// <param name="requestLifetime">Fires when the client goes away or <paramref name="shuttingDown"/> fires.</param>
    /// <param name="shuttingDown">Fires when the shutdown drain time is over.</param>
    private static async Task WriteAsync(HttpContext context, GatewayResponse response, ILogger logger, RequestRecord record, CancellationToken requestLifetime, CancellationToken shuttingDown)
    {
        var http = context.Response;
        record.WriteOverhead(http);
        CallerAuthentication.WriteRateLimitHeaders(http, response.RateLimit);
        if (response.Cache is { } cache)
        {
            http.Headers["X-Cache"] = cache.Hit ? "HIT" : "MISS";
            http.Headers["X-Cache-Key"] = cache.Key;
            http.Headers["X-Cache-TTL"] = ((long)Math.Ceiling(cache.Ttl.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (response.ProviderName is { } provider)
        {
            http.Headers[ProviderHeader] = provider;
        }

        if (response.TargetModel is { } model)
        {
            http.Headers[ModelHeader] = model;
            http.Headers[AttemptsHeader] = response.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (response.UpstreamRequestId is { } upstreamId)
        {
            http.Headers[UpstreamRequestIdHeader] = upstreamId;
        }

        if (response.Error is { } error)
        {
            await ErrorResults.WriteAsync(context, error);
            return;
        }

        if (response.BodyStream is { } bodyStream)
        {
            http.StatusCode = response.StatusCode;
            http.ContentType = response.ContentType ?? "application/octet-stream";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            try
            {
                // Each chunk is written, and so flushed, as it arrives.
                await bodyStream.CopyToAsync(http.Body, requestLifetime);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                // The status is sent; the only honest way left to say the body is incomplete is to break it.
                logger.BodyStreamFailed(response.ProviderName, ex);
                context.Abort();
            }

            return;
        }

        if (response.Events is null)
        {
            http.StatusCode = response.StatusCode;
            http.ContentType = response.ContentType ?? "application/json";
            http.ContentLength = response.Body.Length;
            await http.BodyWriter.WriteAsync(response.Body, context.RequestAborted);
            return;
        }

        http.StatusCode = StatusCodes.Status200OK;
        http.ContentType = "text/event-stream";
        http.Headers.CacheControl = "no-cache";
        http.Headers["X-Accel-Buffering"] = "no"; // tells nginx-style proxies in front not to buffer the stream
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.WriteEventStreamAsync(http.BodyWriter, logger, shuttingDown, context.RequestAborted);
    }
}
