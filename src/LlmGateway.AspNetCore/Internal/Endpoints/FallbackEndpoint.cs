using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Any other <c>/v1/…</c> request: 405 with <c>Allow</c> when the path is one of ours with another method, else 404;
/// both as error envelopes, as OpenAI answers them.
/// </summary>
internal static class FallbackEndpoint
{
    public static Task HandleAsync(HttpContext context, string? path)
    {
        var allowed = path switch
        {
            "chat/completions" or "embeddings" or "audio/speech" or "audio/transcriptions" or "audio/translations" or "responses" => "POST",
            _ when path is not null && path.StartsWith("responses/", StringComparison.Ordinal) => "GET, DELETE, POST",
            "models" => "GET",
            _ when path is not null && path.StartsWith("models/", StringComparison.Ordinal) => "GET",
            _ => null,
        };

        var method = context.Request.Method;
        if (allowed is not null)
        {
            context.Response.Headers.Allow = allowed;
            return ErrorResults.WriteAsync(context, new GatewayError(
                GatewayErrorKind.MethodNotAllowed,
                $"Method {method} is not allowed for /v1/{path}; use {allowed}."));
        }

        return ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({method} /v1/{path})."));
    }
}
