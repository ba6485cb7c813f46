using System.Text.Json;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// Anthropic's error envelope, <c>{"type":"error","error":{"type","message"}}</c>, → the <see cref="GatewayError"/> the
/// client is told in OpenAI's envelope:
/// <list type="bullet">
/// <item>401 or 403 to the key the gateway holds → <see cref="GatewayErrorKind.UpstreamAuthFailed"/> (502, the upstream's
/// text withheld); to the caller's own key → the status kept, as <c>authentication_error</c>/<c>permission_error</c>.</item>
/// <item>429 <c>rate_limit_error</c> → 429 <c>rate_limit_exceeded</c> with the upstream's <c>retry-after</c>.</item>
/// <item>529 <c>overloaded_error</c> → 503 <c>overloaded</c>: a status OpenAI clients know, and one the gateway retries
/// and fails over on.</item>
/// <item>400 "prompt is too long" → <c>context_length_exceeded</c>, so an alias moves on to a target with a larger
/// context window.</item>
/// <item>Anything else keeps its status and Anthropic's message; a body that is not the envelope becomes a short
/// message naming the status.</item>
/// </list>
/// </summary>
internal static class AnthropicErrors
{
    public static GatewayError FromResponse(string provider, int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter, bool callerKey)
    {
        if (status is 401 or 403 && !callerKey)
        {
            return new GatewayError(
                GatewayErrorKind.UpstreamAuthFailed,
                $"The provider instance '{provider}' rejected the gateway's credentials (upstream status {status}). This is a gateway configuration problem, not the caller's.");
        }

        var (type, upstreamMessage) = ReadEnvelope(body);

        // Anthropic's text reaches the client: anything key-shaped in it (a quoted key) is masked first.
        var message = upstreamMessage is null ? null : UpstreamRequests.MaskSecrets(upstreamMessage);
        message ??= $"The upstream of provider instance '{provider}' answered {status}.";
        return status switch
        {
            429 => Upstream(429, "rate_limit_error", "rate_limit_exceeded", message, retryAfter),
            529 => Upstream(503, "server_error", "overloaded", message),
            400 when message.StartsWith("prompt is too long", StringComparison.OrdinalIgnoreCase) =>
                Upstream(400, "invalid_request_error", "context_length_exceeded", message),
            401 => Upstream(401, "authentication_error", "invalid_api_key", message),
            403 => Upstream(403, "permission_error", null, message),
            _ => Upstream(status, status < 500 ? "invalid_request_error" : "server_error", type, message),
        };
    }

    /// <summary>The <c>error</c> event of a stream that already started: the stream ends with it.</summary>
    public static GatewayError FromStreamError(JsonElement errorEvent)
    {
        var error = errorEvent.TryGetProperty("error", out var e) ? e : default;
        var type = AnthropicResponseTranslator.String(error, "type");
        var message = AnthropicResponseTranslator.String(error, "message") is { } text
            ? UpstreamRequests.MaskSecrets(text)
            : "Anthropic reported an error during the stream.";
        return new GatewayError(GatewayErrorKind.StreamInterrupted, message) { Code = type };
    }

    private static GatewayError Upstream(int status, string type, string? code, string message, TimeSpan? retryAfter = null) =>
        new(GatewayErrorKind.UpstreamError, message) { StatusCode = status, Type = type, Code = code, RetryAfter = retryAfter };

    private static (string? Type, string? Message) ReadEnvelope(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var error = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var e) ? e : default;
            return (AnthropicResponseTranslator.String(error, "type"), AnthropicResponseTranslator.String(error, "message"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
