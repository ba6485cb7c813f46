using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>Writes a <see cref="GatewayError"/> as OpenAI's error envelope with its status.</summary>
internal static class ErrorResults
{
    public static async Task WriteAsync(HttpContext context, GatewayError error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.StatusCode;
        response.ContentType = "application/json";
        if (error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        error.WriteEnvelope(response.BodyWriter);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
