namespace LlmGateway;

/// <summary>
/// Thrown by a response stream that fails after it started, and by in-process calls that fail; carries the
/// <see cref="GatewayError"/> the client is told.
/// </summary>
public sealed class LlmGatewayException : Exception
{
    /// <summary>Creates the exception for an error.</summary>
    /// <param name="error">The error.</param>
    /// <param name="innerException">The cause, if any; it is logged, never sent to the client.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The other overloads take a message, not an error: no call binds to two of them.")]
    public LlmGatewayException(GatewayError error, Exception? innerException = null)
        : base(error?.Message, innerException)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>Creates the exception with a generic internal error.</summary>
    public LlmGatewayException()
        : this(new GatewayError(GatewayErrorKind.Internal, "Internal error."))
    {
    }

    /// <summary>Creates the exception with an internal error carrying the message.</summary>
    /// <param name="message">The message.</param>
    public LlmGatewayException(string message)
        : this(new GatewayError(GatewayErrorKind.Internal, message))
    {
    }

    /// <summary>Creates the exception with an internal error carrying the message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LlmGatewayException(string message, Exception innerException)
        : this(new GatewayError(GatewayErrorKind.Internal, message), innerException)
    {
    }

    /// <summary>Gets the error the client is told.</summary>
    public GatewayError Error { get; }
}
