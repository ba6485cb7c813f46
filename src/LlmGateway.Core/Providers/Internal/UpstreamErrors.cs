using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>Turns an upstream's error response into the error the client is told.</summary>
internal static class UpstreamErrors
{
    private static readonly string[] s_resetHeaders = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"];

    /// <summary>The most of an error body that is read; error bodies are small, a larger one is not an API error.</summary>
    public const int MaxErrorBodySize = 64 * 1024;

    /// <summary>
    /// An OpenAI-format error (<c>{"error":{…}}</c>) passes through with the upstream's status and body. Anything else
    /// (an HTML page from a proxy, <c>{"error":"text"}</c>, <c>{"detail":…}</c>) is wrapped in an envelope, keeping
    /// the status.
    /// </summary>
    public static GatewayError FromResponse(string provider, int status, ReadOnlyMemory<byte> body, RetryConditionHeaderValue? retryAfter) =>
        FromResponse(provider, status, body, RetryAfter(retryAfter));

    public static GatewayError FromResponse(string provider, int status, ReadOnlyMemory<byte> body, TimeSpan? retry)
    {
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

    /// <summary>
    /// How long an upstream asks to wait: <c>Retry-After</c>, else the longer of OpenAI's
    /// <c>x-ratelimit-reset-requests</c> and <c>x-ratelimit-reset-tokens</c> (durations such as <c>20ms</c>, <c>1s</c>,
    /// <c>6m0s</c>).
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (RetryAfter(response.Headers.RetryAfter) is { } retryAfter)
        {
            return retryAfter;
        }

        TimeSpan? longest = null;
        foreach (var name in s_resetHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values) && ParseGoDuration(values.FirstOrDefault()) is { } reset && (longest is null || reset > longest))
            {
                longest = reset;
            }
        }

        return longest;
    }

    /// <summary>
    /// The wait a Google API error asks for in its body: <c>error.details[].retryDelay</c> of a
    /// <c>google.rpc.RetryInfo</c> (a protobuf duration such as <c>"7s"</c>); Gemini sends no <c>Retry-After</c>.
    /// </summary>
    public static TimeSpan? RetryInfoDelay(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object || !error.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var detail in details.EnumerateArray())
        {
            if (detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty("retryDelay", out var delay) && delay.ValueKind == JsonValueKind.String
                && ParseGoDuration(delay.GetString()) is { } wait)
            {
                return wait;
            }
        }

        return null;
    }

    /// <summary>The <see cref="RetryInfoDelay(JsonElement)"/> of an error body, if it is one.</summary>
    public static TimeSpan? RetryInfoDelay(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? RetryInfoDelay(error)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a duration like <c>1h2m3.5s</c>, <c>20ms</c>.</summary>
    internal static TimeSpan? ParseGoDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var total = 0.0;
        var span = text.AsSpan().Trim();
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !double.TryParse(span[..digits], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            span = span[digits..];
            var unit = 0;
            while (unit < span.Length && char.IsAsciiLetter(span[unit]))
            {
                unit++;
            }

            total += span[..unit] switch
            {
                "h" => value * 3600,
                "m" => value * 60,
                "s" => value,
                "ms" => value / 1000,
                "us" or "µs" => value / 1_000_000,
                "ns" => value / 1_000_000_000,
                _ => double.NaN,
            };
            if (double.IsNaN(total))
            {
                return null;
            }

            span = span[unit..];
        }

        return TimeSpan.FromSeconds(total);
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
