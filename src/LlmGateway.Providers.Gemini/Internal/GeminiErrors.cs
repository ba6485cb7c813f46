using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Gemini's <c>{"error":{"code","message","status","details"}}</c> → OpenAI's envelope with a matching status and
/// type, the message masked; RESOURCE_EXHAUSTED keeps its retry delay (from <c>google.rpc.RetryInfo</c>, else
/// <c>Retry-After</c>) as <c>retry-after</c>. A refusal of the gateway's own key (401, 403, UNAUTHENTICATED,
/// PERMISSION_DENIED, or a 400 whose <c>google.rpc.ErrorInfo</c> reason is <c>API_KEY_INVALID</c> or whose message says
/// "API key not valid") is a 502 <c>upstream_auth_failed</c>; with the caller's own key it keeps its status.
/// </summary>
internal static class GeminiErrors
{
    public static GatewayError FromResponse(string provider, int status, ReadOnlySpan<byte> body, System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter, bool callerKey, ILogger logger)
    {
        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
        }

        using (document)
        {
            var error = document is { RootElement: { ValueKind: JsonValueKind.Object } root } && root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
                ? e
                : default;
            if (!callerKey && (status is 401 or 403 || (error.ValueKind == JsonValueKind.Object && IsKeyRejected(error))))
            {
                return UpstreamRequests.CredentialsRejected(provider, status, logger);
            }

            return error.ValueKind == JsonValueKind.Object
                ? Translate(error, status, UpstreamRequests.RetryAfter(retryAfter))
                : UpstreamRequests.NotAnApiError(provider, status, body, status == 429 ? UpstreamRequests.RetryAfter(retryAfter) : null, logger, TypeOf(status));
        }
    }

    public static GatewayError FromErrorEvent(JsonElement response) =>
        Translate(response.GetProperty("error"), 0, null) is var error && error.Kind == GatewayErrorKind.UpstreamError
            ? new GatewayError(GatewayErrorKind.StreamInterrupted, error.Message) { Code = error.Code }
            : error;

    /// <summary>Whether a Google API error is about the API key: UNAUTHENTICATED, PERMISSION_DENIED, an
    /// <c>ErrorInfo</c> reason of <c>API_KEY_*</c>, or "API key not valid" / "API key expired".</summary>
    internal static bool IsKeyRejected(JsonElement error)
    {
        if (error.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
            && status.GetString() is "UNAUTHENTICATED" or "PERMISSION_DENIED")
        {
            return true;
        }

        if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                    && reason.GetString()!.StartsWith("API_KEY_", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            && (message.GetString()!.Contains("API key not valid", StringComparison.OrdinalIgnoreCase)
                || message.GetString()!.Contains("API key expired", StringComparison.OrdinalIgnoreCase));
    }

    private static GatewayError Translate(JsonElement error, int httpStatus, TimeSpan? retryAfter)
    {
        var status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var code = httpStatus > 0 ? httpStatus : error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 502;
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? UpstreamRequests.MaskSecrets(m.GetString()!) : "Gemini returned an error.";
        return Build(code, status is { Length: <= 40 } ? status : null, message, UpstreamRequests.RetryInfoDelay(error) ?? retryAfter);
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
        return new GatewayError(GatewayErrorKind.UpstreamError, message)
        {
            StatusCode = mapped,
            Type = TypeOf(mapped),
            Code = status?.ToLowerInvariant() ?? "upstream_error",
            RetryAfter = mapped == 429 ? retryAfter : null,
        };
    }

    private static string TypeOf(int status) => status switch
    {
        400 or 413 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        _ => "server_error",
    };
}
