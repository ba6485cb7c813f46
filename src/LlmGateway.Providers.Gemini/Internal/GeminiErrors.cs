using System.Text;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Gemini's <c>{"error":{"code","message","status","details"}}</c> → OpenAI's envelope with a matching status and
/// type; RESOURCE_EXHAUSTED keeps its retry delay (from <c>google.rpc.RetryInfo</c>, else <c>Retry-After</c>) as
/// <c>retry-after</c>.
/// </summary>
internal static class GeminiErrors
{
    public static GatewayError FromResponse(string provider, int status, ReadOnlySpan<byte> body, System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return Translate(error, status, UpstreamErrors.RetryAfter(retryAfter));
            }
        }
        catch (JsonException)
        {
        }

        var text = Encoding.UTF8.GetString(body.Length > 500 ? body[..500] : body).Trim();
        return Build(status, null, $"Gemini (provider '{provider}') answered {status}{(text.Length > 0 ? ": " + text : ".")}", UpstreamErrors.RetryAfter(retryAfter));
    }

    public static GatewayError FromErrorEvent(JsonElement response) =>
        Translate(response.GetProperty("error"), 0, null) is var error && error.Kind == GatewayErrorKind.UpstreamError
            ? new GatewayError(GatewayErrorKind.StreamInterrupted, error.Message) { Code = error.Code }
            : error;

    private static GatewayError Translate(JsonElement error, int httpStatus, TimeSpan? retryAfter)
    {
        var status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var code = httpStatus > 0 ? httpStatus : error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 502;
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "Gemini returned an error.";
        return Build(code, status, message, UpstreamErrors.RetryInfoDelay(error) ?? retryAfter);
    }

    private static GatewayError Build(int httpStatus, string? status, string message, TimeSpan? retryAfter)
    {
        var mapped = status switch
        {
            "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "OUT_OF_RANGE" => 400,
            "UNAUTHENTICATED" => 401,
            "PERMISSION_DENIED" => 403,
            "NOT_FOUND" => 404,
            "RESOURCE_EXHAUSTED" => 429,
            "CANCELLED" => 499,
            "DEADLINE_EXCEEDED" => 504,
            "UNAVAILABLE" => 503,
            "INTERNAL" or "UNKNOWN" or "DATA_LOSS" => 500,
            _ => httpStatus,
        };
        var type = mapped switch
        {
            400 or 413 or 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            _ => "server_error",
        };
        return new GatewayError(GatewayErrorKind.UpstreamError, message)
        {
            StatusCode = mapped,
            Type = type,
            Code = status?.ToLowerInvariant() ?? "upstream_error",
            RetryAfter = mapped == 429 ? retryAfter : null,
        };
    }
}
