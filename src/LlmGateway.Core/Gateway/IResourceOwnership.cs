namespace LlmGateway;

/// <summary>
/// Who created the server-side resources a provider hands out (a context cache, a stored response): each belongs to
/// the caller that created it, recorded with the provider instance that holds it. A provider records what it creates
/// with <see cref="ClaimAsync"/>, and answers any other caller as if the resource did not exist, using
/// <see cref="FindOwnedAsync"/>. The records live in memory, or in Redis when <c>LlmGateway:Redis</c> is set.
/// </summary>
/// <remarks>Registered by <c>AddLlmGateway</c>; thread-safe.</remarks>
public interface IResourceOwnership
{
    /// <summary>The kind of a Responses API response (<c>resp_…</c>).</summary>
    const string Response = "Response";

    /// <summary>The kind of a Gemini context cache (<c>cachedContents/…</c>); the gateway checks a chat request's
    /// <c>cached_content</c> against these records.</summary>
    const string GeminiCache = "GeminiCache";

    /// <summary>Records that a caller created a resource on a provider instance. The first record of an id stands.</summary>
    /// <param name="kind">The kind of resource: <see cref="Response"/> or <see cref="GeminiCache"/>.</param>
    /// <param name="id">Its id, as the upstream names it.</param>
    /// <param name="callerId">The creating caller's id (its gateway key's id); null for an in-process call.</param>
    /// <param name="provider">The name of the provider instance that holds it.</param>
    /// <returns>A task that completes when the record is stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a known kind, or an argument is blank.</exception>
    ValueTask ClaimAsync(string kind, string id, string? callerId, string provider);

    /// <summary>Finds the provider instance that holds a resource, when the asking caller created it.</summary>
    /// <param name="kind">The kind of resource: <see cref="Response"/> or <see cref="GeminiCache"/>.</param>
    /// <param name="id">Its id.</param>
    /// <param name="callerId">The asking caller's id (its gateway key's id); null for an in-process call.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The provider instance's name, or null when the resource is another caller's or unknown (answer as if
    /// it did not exist).</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a known kind, or an argument is blank.</exception>
    /// <exception cref="LlmGatewayException">The records cannot be read (Redis is unavailable):
    /// <see cref="GatewayErrorKind.ServiceUnavailable"/>.</exception>
    ValueTask<string?> FindOwnedAsync(string kind, string id, string? callerId, CancellationToken cancellationToken = default);
}
