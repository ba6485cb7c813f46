using System.Text.Json;

namespace LlmGateway.Samples.Extending.Redaction;

/// <summary>
/// A pipeline stage (<c>.Use&lt;EmailRedactionMiddleware&gt;()</c>) that replaces email addresses in the messages of
/// chat completions requests with <see cref="EmailRedactor.Placeholder"/> before any provider sees them: over HTTP and
/// in process alike. The stage runs after admission and before the cache, so the redacted body is the one cached,
/// sent upstream and counted.
/// </summary>
public sealed class EmailRedactionMiddleware : ILlmGatewayMiddleware
{
    /// <inheritdoc />
    public ValueTask<GatewayResponse> InvokeAsync(GatewayContext context, GatewayRequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Request.Operation == GatewayOperation.ChatCompletions)
        {
            var body = context.Request.Body;
            ReadOnlyMemory<byte> redacted;
            try
            {
                redacted = EmailRedactor.RedactChatRequest(body);
            }
            catch (JsonException)
            {
                // Not JSON: nothing to redact; the request is refused further on as it would be without the stage.
                return next(context);
            }

            if (!redacted.Equals(body))
            {
                context.Request = context.Request.WithBody(redacted);
            }
        }

        return next(context);
    }
}
