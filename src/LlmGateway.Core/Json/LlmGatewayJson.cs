using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>The gateway's checks on JSON that clients send, for a host's own endpoints (such as an admin API) to apply
/// the same rules as the gateway's.</summary>
public static class LlmGatewayJson
{
    /// <summary>
    /// Parses a JSON request body once it passed the checks every client body must pass: well-formed UTF-8 with no
    /// escaped lone surrogate (<c>"\ud800"</c>), nested at most 64 deep, and no member named twice.
    /// </summary>
    /// <param name="body">The body, as the client sent it.</param>
    /// <param name="document">The parsed document, which the caller disposes; null when the body failed.</param>
    /// <param name="error">Why the body failed (an <see cref="GatewayErrorKind.InvalidJson"/> error for the client);
    /// null when it passed.</param>
    /// <returns>True when the body passed and <paramref name="document"/> is set.</returns>
    public static bool TryParseRequestBody(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out GatewayError? error)
    {
        document = RequestJson.Parse(body, out error);
        if (document is not null)
        {
            return true;
        }

        error ??= new GatewayError(GatewayErrorKind.InvalidJson, "The request body is not valid JSON.");
        return false;
    }
}
