namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>Reads a server-sent event stream the way a client does, one event at a time.</summary>
internal static class Sse
{
    /// <summary>Reads the next event's data (joined data lines), or null at the end of the stream.</summary>
    public static async Task<string?> ReadEventAsync(StreamReader reader, CancellationToken cancellationToken = default)
    {
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return string.Join('\n', data);
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line["data:".Length..].TrimStart());
            }
        }

        return data.Count > 0 ? string.Join('\n', data) : null;
    }

    public static async Task<List<string>> ReadAllEventsAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(stream);
        var events = new List<string>();
        while (await ReadEventAsync(reader, cancellationToken) is { } data)
        {
            events.Add(data);
        }

        return events;
    }

    public static string Chunk(string id, string content, string? finishReason = null) =>
        $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":{{(finishReason is null ? "null" : $"\"{finishReason}\"")}}}]}""";
}
