using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// Which provider instance created each stored response (Responses API), so <c>GET /v1/responses/{id}</c> and the
/// like reach it without a model to route by. Bounded: the oldest ids are forgotten first.
/// </summary>
/// <remarks>
/// Kept in this process only: with several gateway instances, or after a restart, an unknown id goes to the default
/// OpenAI instance, or to the instance a caller pins with <c>x-llmgateway-provider</c>.
/// </remarks>
internal sealed class ResponseOwners
{
    internal const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public string? Owner(string id) => _owners.GetValueOrDefault(id);

    /// <summary>The response id in a path such as <c>responses/resp_123/cancel</c>.</summary>
    public static string? IdOf(string resourcePath)
    {
        var path = resourcePath.Split('?', 2)[0].Split('/');
        return path.Length >= 2 && path[0] == "responses" && path[1].Length > 0 ? path[1] : null;
    }

    /// <summary>Remembers the id of a created response: read from the body, or from a stream's first event as it passes.</summary>
    public GatewayResponse Track(GatewayResponse response, string provider)
    {
        if (response.Events is { } events)
        {
            return response.WithEvents(TrackFirstEvent(events, provider), response.Owner);
        }

        if (ResponseId(response.Body.Span, nested: false) is { } id)
        {
            Remember(id, provider);
        }

        return response;
    }

    internal void Remember(string id, string provider)
    {
        if (_owners.TryAdd(id, provider))
        {
            _order.Enqueue(id);
            while (_owners.Count > Capacity && _order.TryDequeue(out var oldest))
            {
                _owners.TryRemove(oldest, out _);
            }
        }
    }

    private async IAsyncEnumerable<GatewayEvent> TrackFirstEvent(IAsyncEnumerable<GatewayEvent> events, string provider, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tracked = false;
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            if (!tracked)
            {
                tracked = true;
                if (ResponseId(item.Data.Span, nested: true) is { } id)
                {
                    Remember(id, provider);
                }
            }

            yield return item;
        }
    }

    /// <summary>The top-level <c>id</c> of a response object, or, for a stream event, <c>response.id</c>.</summary>
    private static string? ResponseId(ReadOnlySpan<byte> json, bool nested)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

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
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Read();
                reader.Skip();
            }
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
