using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The app-wide error boundary of <see cref="LlmGatewayApplicationBuilderExtensions.UseLlmGatewayErrorEnvelopes"/>:
/// requests over the gateway's header and URL limits are refused first (431, 414); an error status that the rest of
/// the app left without a body (no endpoint: 404; routing's wrong method: 405 with its <c>Allow</c>) gets the
/// envelope; a request the server could not read (<see cref="BadHttpRequestException"/>) gets its status; any other
/// exception nothing else caught is logged and answered 500 without details.
/// </summary>
internal sealed class ErrorEnvelopeMiddleware(RequestDelegate next, ILogger logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (OverLimits(context) is { } refused)
        {
            logger.RequestOverLimits(context.Request.Method, refused.Code);
            return WriteAsync(context, refused);
        }

        return InvokeCoreAsync(context);
    }

    private async Task InvokeCoreAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // A body over the server's limit, or one that could not be read: the client's mistake, with its status.
            context.Response.Clear();
            context.Response.StatusCode = ex.StatusCode;
            await WriteAsync(context, ErrorFor(context));
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            logger.EndpointFailed(context.Request.Path, ex);
            context.Response.Clear();
            await WriteAsync(context, new GatewayError(GatewayErrorKind.Internal, "The gateway failed to handle the request."));
            return;
        }

        var response = context.Response;
        if (response.StatusCode < StatusCodes.Status400BadRequest
            || response.HasStarted
            || response.ContentLength is not null
            || response.ContentType is not null
            || HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await WriteAsync(context, ErrorFor(context));
    }

    /// <summary>The error for a status the app answered without a body.</summary>
    private static GatewayError ErrorFor(HttpContext context)
    {
        var request = context.Request;
        var status = context.Response.StatusCode;
        switch (status)
        {
            case StatusCodes.Status404NotFound:
                return new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({request.Method} {request.PathBase}{request.Path}).");
            case StatusCodes.Status405MethodNotAllowed:
                var allow = context.Response.Headers.Allow.ToString();
                return new GatewayError(
                    GatewayErrorKind.MethodNotAllowed,
                    $"Method {request.Method} is not allowed for {request.PathBase}{request.Path}{(allow.Length > 0 ? $"; use {allow}" : string.Empty)}.");
            case StatusCodes.Status413PayloadTooLarge:
                return new GatewayError(GatewayErrorKind.RequestTooLarge, "The request body is larger than this endpoint accepts.");
            default:
                var reason = ReasonPhrases.GetReasonPhrase(status);
                return new GatewayError(status >= 500 ? GatewayErrorKind.Internal : GatewayErrorKind.InvalidRequest, (reason.Length > 0 ? reason : "Error " + status) + ".")
                {
                    StatusCode = status,
                    Code = null,
                };
        }
    }

    /// <summary>The refusal of a request over the gateway's limits, or null. Kestrel's own limits must be higher for
    /// such a request to get here at all.</summary>
    internal static GatewayError? OverLimits(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.Count > LlmGatewayApplicationBuilderExtensions.MaxRequestHeaderCount)
        {
            return new GatewayError(
                GatewayErrorKind.RequestHeadersTooLarge,
                $"The request has {headers.Count} header fields; the gateway takes at most {LlmGatewayApplicationBuilderExtensions.MaxRequestHeaderCount}.");
        }

        long size = 0;
        foreach (var (name, values) in headers)
        {
            size += name.Length;
            foreach (var value in values)
            {
                size += value?.Length ?? 0;
            }
        }

        if (size > LlmGatewayApplicationBuilderExtensions.MaxRequestHeadersTotalSize)
        {
            return new GatewayError(
                GatewayErrorKind.RequestHeadersTooLarge,
                $"The request's headers total {size} bytes; the gateway takes at most {LlmGatewayApplicationBuilderExtensions.MaxRequestHeadersTotalSize}.");
        }

        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not null && target.Length > LlmGatewayApplicationBuilderExtensions.MaxRequestUrlLength)
        {
            return new GatewayError(
                GatewayErrorKind.UriTooLong,
                $"The request's URL is {target.Length} characters long; the gateway takes at most {LlmGatewayApplicationBuilderExtensions.MaxRequestUrlLength}.");
        }

        return null;
    }

    private static Task WriteAsync(HttpContext context, GatewayError error)
    {
        if (!context.Response.Headers.ContainsKey(RequestIds.HeaderName))
        {
            RequestIds.Apply(context);
        }

        return ErrorResults.WriteAsync(context, error);
    }
}
