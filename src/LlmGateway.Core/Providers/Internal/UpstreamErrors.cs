using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>Turns an upstream's error response into the error the client is told.</summary>
internal static class UpstreamErrors
{
    /// <summary>The most of an error body that is read; error bodies are small, a larger one is not an API error.</summary>
    public const int MaxErrorBodySize = 64 * 1024;

    /// <summary>
    /// An OpenAI-format error (<c>{"error":{…}}</c>) passes through with the upstream's status and body. Anything else
    /// (an HTML page from a proxy, <c>{"error":"text"}</c>, <c>{"detail":…}</c>) is wrapped in an envelope, keeping
    /// the status.
    /// </summary>
    public static GatewayError FromResponse(string provider, int status, ReadOnlyMemory<byte> body, RetryConditionHeaderValue? retryAfter)
    {
        var retry = RetryAfter(retryAfter);
        if (IsOpenAIEnvelope(body.Span, out var message))
        {
            return new GatewayError(GatewayErrorKind.UpstreamError, message ?? $"The upstream of provider '{provider}' answered {status}.")
            {
                StatusCode = status,
                Type = status < 500 ? "invalid_request_error" : "server_error",
                Code = null,
                UpstreamBody = body,
                RetryAfter = retry,
            };
        }

        var text = Encoding.UTF8.GetString(body.Span.Length > 500 ? body.Span[..500] : body.Span).Trim();
        return new GatewayError(
            GatewayErrorKind.UpstreamError,
            text.Length == 0 ? $"The upstream of provider '{provider}' answered {status}." : $"The upstream of provider '{provider}' answered {status}: {text}")
        {
            StatusCode = status,
            Type = status < 500 ? "invalid_request_error" : "server_error",
            Code = "upstream_error",
            RetryAfter = retry,
        };
    }

    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Reads at most <see cref="MaxErrorBodySize"/> bytes of an error body.</summary>
    public static async Task<byte[]> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxErrorBodySize];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return buffer.AsSpan(0, total).ToArray();
    }

    private static bool IsOpenAIEnvelope(ReadOnlySpan<byte> body, out string? message)
    {
        message = null;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object)
            {
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
