using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Turns an upstream's error response into the error the client is told.</summary>
internal static class UpstreamErrors
{
    private static readonly string[] s_resetHeaders = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"];

    /// <summary>The most of an error body that is read; error bodies are small, a larger one is not an API error.</summary>
    public const int MaxErrorBodySize = 64 * 1024;

    /// <summary>
    /// The error the client is told for an upstream's error answer; the upstream's body is never passed on as it is.
    /// <list type="bullet">
    /// <item>A 401 or 403 to the credentials the gateway holds (<paramref name="callerKey"/> false) is the operator's
    /// problem, not the caller's: 502 <c>upstream_auth_failed</c> with no upstream text, logged at Warning.</item>
    /// <item>An OpenAI-format error (<c>{"error":{…}}</c>) keeps the upstream's status and its <c>type</c>,
    /// <c>code</c> and <c>param</c>; its message is kept with anything key-shaped masked. The envelope is the
    /// gateway's own, so fields it does not know are dropped.</item>
    /// <item>Anything else (an HTML page from a proxy, <c>{"error":"text"}</c>, <c>{"detail":…}</c>) becomes a short
    /// message naming the status and the instance, keeping the status; the body goes to the log at Debug only,
    /// truncated and escaped.</item>
    /// </list>
    /// </summary>
    /// <param name="provider">The provider instance's name.</param>
    /// <param name="status">The upstream's HTTP status.</param>
    /// <param name="body">The upstream's error body, as read by <see cref="ReadCappedAsync"/>.</param>
    /// <param name="retry">How long the upstream asked to wait, if it did.</param>
    /// <param name="callerKey">Whether the key sent was the caller's own (Client mode, or Hybrid with
    /// <c>x-llmgateway-provider-key</c>): a 401 or 403 is then about the caller's key and keeps its status.</param>
    /// <param name="logger">The provider's logger.</param>
    public static GatewayError FromResponse(string provider, int status, ReadOnlyMemory<byte> body, TimeSpan? retry, bool callerKey, ILogger logger)
    {
        if (status is 401 or 403 && !callerKey)
        {
            return GatewayKeyRejected(provider, status, logger);
        }

        if (TryReadEnvelope(body.Span, out var envelope))
        {
            return new GatewayError(GatewayErrorKind.UpstreamError, envelope.Message ?? $"The upstream of provider instance '{provider}' answered {status}.", envelope.Param)
            {
                StatusCode = status,
                Type = envelope.Type ?? (status < 500 ? ErrorMap.InvalidRequestError : ErrorMap.ServerError),
                Code = envelope.Code,
                UpstreamBody = body,
                RetryAfter = retry,
            };
        }

        return NotAnApiError(provider, status, body.Span, retry, logger);
    }

    /// <summary>A 401 or 403 to the gateway's own credentials for an instance: 502 <c>upstream_auth_failed</c>, the
    /// upstream's text withheld (it may quote the key), a Warning for the operator.</summary>
    public static GatewayError GatewayKeyRejected(string provider, int status, ILogger logger)
    {
        logger.UpstreamRejectedGatewayKey(provider, status);
        return new GatewayError(
            GatewayErrorKind.UpstreamAuthFailed,
            $"The provider instance '{provider}' rejected the gateway's credentials (upstream status {status}). This is a gateway configuration problem, not the caller's; the operator has been told in the gateway's log.");
    }

    /// <summary>An error answer that is not an API error of a format the gateway knows: a short message naming the
    /// status and the instance, keeping the status; the body is logged at Debug, truncated and escaped.</summary>
    public static GatewayError NotAnApiError(string provider, int status, ReadOnlySpan<byte> body, TimeSpan? retry, ILogger logger, string? type = null)
    {
        var isJson = IsJson(body);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.UpstreamErrorBody(provider, status, SecretMasker.Excerpt(body));
        }

        var what = body.IsEmpty ? "an empty body" : isJson ? "a JSON body that is not an API error" : "a non-JSON body";
        return new GatewayError(GatewayErrorKind.UpstreamError, $"The upstream of provider instance '{provider}' answered {status} with {what}.")
        {
            StatusCode = status,
            Type = type ?? (status < 500 ? ErrorMap.InvalidRequestError : ErrorMap.ServerError),
            Code = "upstream_error",
            RetryAfter = retry,
        };
    }

    /// <summary>
    /// An OpenAI-format error event in a stream (<c>data: {"error":{…}}</c>), rebuilt like an error answer's body: its
    /// <c>type</c>, <c>code</c> and <c>param</c>, its message masked.
    /// </summary>
    public static GatewayError FromErrorEvent(ReadOnlyMemory<byte> data)
    {
        TryReadEnvelope(data.Span, out var envelope);
        return new GatewayError(GatewayErrorKind.StreamInterrupted, envelope.Message ?? "The upstream reported an error during the stream.", envelope.Param)
        {
            Type = envelope.Type ?? ErrorMap.ServerError,
            Code = envelope.Code,
            UpstreamBody = data,
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

    /// <summary>Reads <c>{"error":{"message","type","code","param"}}</c>: strings cut short and masked, a numeric
    /// <c>code</c> as text. False when the body is not that shape.</summary>
    private static bool TryReadEnvelope(ReadOnlySpan<byte> body, out Envelope envelope)
    {
        envelope = default;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error)
                || error.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            envelope = new Envelope(Text(error, "message", SecretMasker.MaxMessageLength), Text(error, "type", 100), Text(error, "code", 100), Text(error, "param", 200));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Text(JsonElement error, string name, int maxLength) =>
        !error.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? SecretMasker.Redact(value.GetString()!, maxLength) is { Length: > 0 } text ? text : null
        : value.ValueKind == JsonValueKind.Number ? value.GetRawText()
        : null;

    private static bool IsJson(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            reader.Read();
            reader.Skip();
            return !body.IsEmpty && reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private readonly record struct Envelope(string? Message, string? Type, string? Code, string? Param);
}
