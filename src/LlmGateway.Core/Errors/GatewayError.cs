using System.Buffers;
using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// An error the gateway reports to its client in OpenAI's envelope, <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
public sealed class GatewayError
{
    /// <summary>Creates an error whose status, type and code come from the gateway's error table.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">A message for the client; never a stack trace or a secret.</param>
    /// <param name="param">The request parameter at fault, if any.</param>
    public GatewayError(GatewayErrorKind kind, string message, string? param = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var entry = ErrorMap.Get(kind);
        Kind = kind;
        Message = message;
        Param = param;
        StatusCode = entry.StatusCode;
        Type = entry.Type;
        Code = entry.Code;
    }

    /// <summary>Gets what went wrong.</summary>
    public GatewayErrorKind Kind { get; }

    /// <summary>Gets the message for the client.</summary>
    public string Message { get; }

    /// <summary>Gets the request parameter at fault, if any.</summary>
    public string? Param { get; }

    /// <summary>Gets the HTTP status the error is answered with.</summary>
    public int StatusCode { get; init; }

    /// <summary>Gets the OpenAI error <c>type</c>.</summary>
    public string Type { get; init; }

    /// <summary>Gets the OpenAI error <c>code</c>, if any.</summary>
    public string? Code { get; init; }

    /// <summary>Gets how long the client should wait before it tries again, sent as <c>retry-after</c>.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// Gets the upstream's own error body (an OpenAI envelope), for the gateway's own checks (is this a context-length
    /// error?); empty when there was none. It is never sent to the client: the client gets the envelope the gateway
    /// writes from <see cref="Message"/>, <see cref="Type"/>, <see cref="Param"/> and <see cref="Code"/>.
    /// </summary>
    public ReadOnlyMemory<byte> UpstreamBody { get; init; }

    /// <summary>
    /// Writes the error as OpenAI's error envelope, <c>{"error":{"message","type","param","code"}}</c>, in UTF-8: the
    /// body an HTTP host answers the error with (with <see cref="StatusCode"/> and, when set, <see cref="RetryAfter"/>
    /// as <c>retry-after</c>). <see cref="UpstreamBody"/> is never part of it.
    /// </summary>
    /// <param name="output">Where the JSON goes, such as an ASP.NET Core response's <c>BodyWriter</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    public void WriteEnvelope(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ErrorEnvelope.Write(this, output);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{StatusCode} {Type}/{Code}: {Message}";
}
