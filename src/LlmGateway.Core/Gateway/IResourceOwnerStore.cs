using System.Text.Json.Serialization;

namespace LlmGateway;

/// <summary>The kinds of server-side resource the gateway hands out; ids of different kinds never meet in the store.</summary>
public enum OwnedResourceKind
{
    /// <summary>A response of the Responses API (<c>resp_…</c>), stored upstream unless created with <c>store: false</c>.</summary>
    Response,

    /// <summary>A Gemini context cache (<c>cachedContents/…</c>).</summary>
    GeminiCache,
}

/// <summary>Who created a server-side resource (a caller id: <c>GatewayCaller.Id</c>, or <c>in-process</c>), and the
/// provider instance that holds it.</summary>
/// <param name="Owner">The creating caller's id.</param>
/// <param name="Provider">The provider instance's name.</param>
public sealed record ResourceRecord(
    [property: JsonPropertyName("o")] string Owner,
    [property: JsonPropertyName("p")] string Provider);

/// <summary>Where the gateway keeps who created each server-side resource it handed out (stored responses, Gemini
/// context caches), so only their creator may read, use or delete them.</summary>
/// <remarks>
/// <para>The default store is this process's memory (bounded, lost at restart); <c>LlmGateway.Redis</c>'s
/// <c>AddRedis()</c> shares records between instances. Register your own implementation as a singleton to keep them
/// elsewhere; the gateway adds its default only when none is registered.</para>
/// <para>An implementation must be thread-safe, keep a record about 30 days (OpenAI keeps a stored response that long),
/// and never replace a record: the first record of an id stands, atomically (two instances adding the same id concurrently
/// must agree on one owner).</para>
/// </remarks>
public interface IResourceOwnerStore
{
    /// <summary>Records a resource. The first record of an id stands: an id is never given to another owner.</summary>
    /// <remarks>Never throws for want of a shared store: the record is then kept in this process until it is back.</remarks>
    /// <param name="kind">The resource's kind.</param>
    /// <param name="id">The resource's id, as the provider gave it.</param>
    /// <param name="record">Its creator and provider instance.</param>
    /// <returns>A task that completes when the record is kept.</returns>
    ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record);

    /// <summary>The record of a resource; null when the gateway has none (never made here, or expired).</summary>
    /// <exception cref="ResourceOwnerStoreUnavailableException">The shared store is unavailable and this process has
    /// no record of the id: the owner cannot be told.</exception>
    /// <param name="kind">The resource's kind.</param>
    /// <param name="id">The resource's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record, or null.</returns>
    ValueTask<ResourceRecord?> FindAsync(OwnedResourceKind kind, string id, CancellationToken cancellationToken);
}

/// <summary>A shared ownership store is unavailable, and the record asked for is not in this process: the owner cannot be
/// told (the HTTP layer answers 503).</summary>
public sealed class ResourceOwnerStoreUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ResourceOwnerStoreUnavailableException"/> class.</summary>
    public ResourceOwnerStoreUnavailableException()
        : this("The ownership store is unavailable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ResourceOwnerStoreUnavailableException"/> class.</summary>
    /// <param name="message">What could not be done.</param>
    public ResourceOwnerStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ResourceOwnerStoreUnavailableException"/> class.</summary>
    /// <param name="message">What could not be done.</param>
    /// <param name="innerException">The storage's failure.</param>
    public ResourceOwnerStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

