using LlmGateway.AspNetCore.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway;

/// <summary>App-wide middleware for a host whose every answer is OpenAI's error envelope, as the thin host's are.</summary>
public static class LlmGatewayApplicationBuilderExtensions
{
    /// <summary>The most header bytes (names and values) a request may carry past
    /// <see cref="UseLlmGatewayErrorEnvelopes"/>: 32 KiB, Kestrel's own default.</summary>
    public const int MaxRequestHeadersTotalSize = 32 * 1024;

    /// <summary>The most header fields a request may carry past <see cref="UseLlmGatewayErrorEnvelopes"/>: 100,
    /// Kestrel's own default.</summary>
    public const int MaxRequestHeaderCount = 100;

    /// <summary>The longest URL (path and query, as sent) a request may have past
    /// <see cref="UseLlmGatewayErrorEnvelopes"/>: 8 KiB, Kestrel's own default for the whole request line.</summary>
    public const int MaxRequestUrlLength = 8 * 1024;

    /// <summary>
    /// Answers in OpenAI's error envelope, with <c>x-request-id</c>, what the app would otherwise answer with an empty
    /// body: a path no endpoint maps (404 <c>unknown_url</c>), a method the path's endpoint does not take (405
    /// <c>method_not_allowed</c>, with its <c>Allow</c>), any other error status left without a body, a request the server
    /// could not read (its own status, such as 413), an exception nothing else caught (500 <c>internal_error</c>,
    /// logged, no details sent), and a request whose headers are over
    /// <see cref="MaxRequestHeadersTotalSize"/> or <see cref="MaxRequestHeaderCount"/> (431
    /// <c>request_headers_too_large</c>) or whose URL is over <see cref="MaxRequestUrlLength"/> (414
    /// <c>uri_too_long</c>).
    /// </summary>
    /// <param name="app">The app; add this first, so that it sees every request and every answer.</param>
    /// <returns>The app, for chaining.</returns>
    /// <remarks>
    /// <c>MapLlmGateway</c> answers its own unknown <c>/v1/…</c> paths, and claims no other path of the app: this
    /// middleware is for an app that wants the envelope everywhere, as the thin host does. Kestrel refuses a request
    /// over its own limits before any middleware runs, with an empty body; for such requests to get the envelope,
    /// set Kestrel's <c>MaxRequestHeadersTotalSize</c>, <c>MaxRequestHeaderCount</c> and <c>MaxRequestLineSize</c>
    /// above these limits (the thin host sets them to twice these). Requests over Kestrel's raised limits, and requests
    /// Kestrel cannot parse at all, still get Kestrel's empty answer.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is null.</exception>
    public static IApplicationBuilder UseLlmGatewayErrorEnvelopes(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(RequestScope.LoggerCategory);
        return app.Use(next => new ErrorEnvelopeMiddleware(next, logger).InvokeAsync);
    }
}
