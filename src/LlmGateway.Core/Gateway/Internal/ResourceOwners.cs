using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>What an ownership check decided.</summary>
internal enum OwnershipOutcome
{
    /// <summary>The caller may use the resource (its own, or the caller's own upstream account answers for it).</summary>
    Allowed,

    /// <summary>Another caller's resource, or one the gateway has no record of: answered exactly as an unknown id.</summary>
    NotFound,

    /// <summary>The record cannot be read (Redis is unavailable): answered 503.</summary>
    Unavailable,
}

/// <summary>
/// The server-side resources the gateway hands out (stored responses, Gemini context caches) belong to the caller that
/// created them: its id (<see cref="GatewayCaller.Id"/>, which a key rotation keeps; <see cref="GatewayCaller.InProcessId"/>
/// for in-process calls), recorded with the provider instance that holds the resource, which later requests by id
/// alone are routed to. Any other caller is answered as if the resource did not exist, before anything is sent
/// upstream or counted.
/// </summary>
/// <remarks>
/// An id the gateway has no record of is refused too when the gateway's own provider key would be used (it may name
/// a resource of the upstream account made outside the gateway). A caller that brought its own provider key (Client
/// mode, or Hybrid with <c>x-llmgateway-provider-key</c>) talks to its own upstream account, which decides: its
/// requests pass as they are.
/// </remarks>
internal sealed class ResourceOwners(IResourceOwnerStore store)
{
    /// <summary>The owner id of a request's caller.</summary>
    public static string OwnerOf(GatewayRequest request) => request.Caller?.Id ?? GatewayCaller.InProcessId;

    /// <summary>The response id in a path such as <c>responses/resp_123/cancel</c>.</summary>
    public static string? IdOf(string resourcePath)
    {
        var path = resourcePath.Split('?', 2)[0].Split('/');
        return path.Length >= 2 && path[0] == "responses" && path[1].Length > 0 ? path[1] : null;
    }

    /// <summary>The name a Gemini context cache is recorded under: <c>cachedContents/…</c>, whichever way it was written.</summary>
    public static string GeminiCacheName(string name) =>
        name.StartsWith("cachedContents/", StringComparison.Ordinal) ? name : "cachedContents/" + name;

    /// <summary>Records that <paramref name="owner"/> created a resource on <paramref name="provider"/>.</summary>
    public ValueTask RecordAsync(OwnedResourceKind kind, string id, string owner, string provider) =>
        store.AddAsync(kind, id, new ResourceRecord(owner, provider));

    /// <summary>Whether <paramref name="owner"/> may use a resource, and its record when there is one.</summary>
    /// <param name="kind">The kind of resource.</param>
    /// <param name="id">Its id.</param>
    /// <param name="owner">The asking caller's id.</param>
    /// <param name="ownAccount">Whether the caller brought its own provider key, so its own upstream account answers.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    public async ValueTask<(ResourceRecord? Record, OwnershipOutcome Outcome)> CheckAsync(OwnedResourceKind kind, string id, string owner, bool ownAccount, CancellationToken cancellationToken)
    {
        ResourceRecord? record;
        try
        {
            record = await store.FindAsync(kind, id, cancellationToken);
        }
        catch (ResourceOwnerStoreUnavailableException)
        {
            return (null, ownAccount ? OwnershipOutcome.Allowed : OwnershipOutcome.Unavailable);
        }

        if (ownAccount)
        {
            return (record, OwnershipOutcome.Allowed);
        }

        return record is not null && string.Equals(record.Owner, owner, StringComparison.Ordinal)
            ? (record, OwnershipOutcome.Allowed)
            : (null, OwnershipOutcome.NotFound);
    }

    /// <summary>The answer when the ownership store cannot be read.</summary>
    public static GatewayError Unavailable(string what) => new(
        GatewayErrorKind.ServiceUnavailable,
        $"The gateway cannot tell who created {what}: its ownership records are in Redis, which is unavailable. Try again shortly.")
    {
        RetryAfter = TimeSpan.FromSeconds(5),
    };

    /// <summary>The answer for a Gemini context cache the caller may not use, or that does not exist.</summary>
    public static GatewayError GeminiCacheNotFound(string name, string? param) =>
        new(GatewayErrorKind.NotFound, $"Cached content '{name}' not found.", param) { Code = null };

    /// <summary>Remembers the id of a created response, with its owner and provider instance: read from the body, or
    /// from a stream's first event before that event is passed on.</summary>
    public async ValueTask<GatewayResponse> TrackAsync(GatewayResponse response, string provider, string owner)
    {
        if (response.Events is { } events)
        {
            return response.WithEvents(TrackFirstEvent(events, provider, owner), response.Owner);
        }

        if (ResponseId(response.Body.Span, nested: false) is { } id)
        {
            await RecordAsync(OwnedResourceKind.Response, id, owner, provider);
        }

        return response;
    }

    private async IAsyncEnumerable<GatewayEvent> TrackFirstEvent(IAsyncEnumerable<GatewayEvent> events, string provider, string owner, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tracked = false;
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            if (!tracked)
            {
                tracked = true;
                if (ResponseId(item.Data.Span, nested: true) is { } id)
                {
                    await RecordAsync(OwnedResourceKind.Response, id, owner, provider);
                }
            }

            yield return item;
        }
    }

    /// <summary>The top-level <c>id</c> of a response object, or, for a stream event, <c>response.id</c>; null for a
    /// response created with <c>store: false</c>, which cannot be asked for again.</summary>
    private static string? ResponseId(ReadOnlySpan<byte> json, bool nested)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? id = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (nested && reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.StartObject ? ResponseId(JsonSpan(ref reader, json), nested: false) : null;
                }

                if (!nested && reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                    continue;
                }

                if (!nested && reader.ValueTextEquals("store"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.False)
                    {
                        return null;
                    }

                    reader.Skip();
                    continue;
                }

                reader.Read();
                reader.Skip();
            }

            return id;
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static ReadOnlySpan<byte> JsonSpan(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return json[start..(int)reader.BytesConsumed];
    }
}
