using System.Text;

namespace LlmGateway.Benchmarks.Micro;

/// <summary>The body sizes the body-dependent benchmarks run at.</summary>
public enum BodySize
{
    /// <summary>A one-turn chat request of about 300 bytes.</summary>
    Small,

    /// <summary>The same request after a long conversation: about 30 KB.</summary>
    Large,
}

/// <summary>Request, response and stream bodies shaped like real OpenAI and Gemini traffic.</summary>
internal static class Payloads
{
    private const string Turn =
        "Could you walk me through how the quarterly revenue figures were reconciled against the ledger, "
        + "including the adjustments for deferred income and the currency conversions applied at month end?";

    private const string Answer =
        "Certainly. The reconciliation starts from the general ledger balances, removes intercompany entries, "
        + "then applies the deferred income schedule month by month before converting at the closing rates.";

    /// <summary>A plain chat request: system, history (for <see cref="BodySize.Large"/>), the user's question.</summary>
    public static byte[] Chat(BodySize size)
    {
        var json = new StringBuilder();
        json.Append("{\"model\":\"gpt-4o-mini\",\"messages\":[");
        json.Append("{\"role\":\"system\",\"content\":\"You are a helpful assistant for the finance team.\"},");
        AppendHistory(json, size);
        json.Append("{\"role\":\"user\",\"content\":\"Summarise the reconciliation steps for the Q3 report in three bullet points, please.\"}");
        json.Append("],\"temperature\":0.2,\"max_tokens\":256,\"stream\":false}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>A chat request with a tool round trip: system, user, assistant tool call, tool result, tools.</summary>
    public static byte[] ToolChat(BodySize size)
    {
        var json = new StringBuilder();
        json.Append("{\"model\":\"gemini-2.5-flash\",\"messages\":[");
        json.Append("{\"role\":\"system\",\"content\":\"You are a weather assistant. Use the tools to answer.\"},");
        AppendHistory(json, size);
        json.Append("{\"role\":\"user\",\"content\":\"What is the weather in Paris and should I take an umbrella?\"},");
        json.Append("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",");
        json.Append("\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"celsius\\\"}\"}}]},");
        json.Append("{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"temperature\\\":14,\\\"condition\\\":\\\"light rain\\\",\\\"precipitation\\\":0.8}\"}");
        json.Append("],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Current weather for a city.\",");
        json.Append("\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"City name\"},");
        json.Append("\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\"]}}}],");
        json.Append("\"tool_choice\":\"auto\",\"temperature\":0.2,\"max_tokens\":512,\"stream\":false}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>A non-streamed chat completion of about 600 bytes, with usage.</summary>
    public static byte[] Completion() => Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion\",\"created\":1741569952,"
        + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        + "\"The reconciliation has three steps: remove intercompany entries from the ledger balances, apply the deferred "
        + "income schedule month by month, and convert foreign balances at the month-end closing rates.\",\"refusal\":null,"
        + "\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":36,"
        + "\"completion_tokens\":41,\"total_tokens\":77,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
        + "\"rejected_prediction_tokens\":0}},\"service_tier\":\"default\",\"system_fingerprint\":\"fp_06737a9306\"}");

    /// <summary>One content chunk of an OpenAI stream (the event's data, no framing).</summary>
    public static byte[] ContentChunk() => Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,"
        + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_06737a9306\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\" reconciliation\"},\"logprobs\":null,\"finish_reason\":null}]}");

    /// <summary>The usage-only chunk that ends an OpenAI stream with <c>include_usage</c>.</summary>
    public static byte[] UsageChunk() => Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,"
        + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_06737a9306\",\"choices\":[],\"usage\":"
        + "{\"prompt_tokens\":36,\"completion_tokens\":41,\"total_tokens\":77,\"prompt_tokens_details\":{\"cached_tokens\":0},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");

    /// <summary>One event of a Gemini <c>streamGenerateContent?alt=sse</c> stream.</summary>
    public static byte[] GeminiChunk() => Encoding.UTF8.GetBytes(
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"The reconciliation starts from the ledger balances\"}],"
        + "\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":36,\"candidatesTokenCount\":9,"
        + "\"totalTokenCount\":45},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"mJbgaOWnJ9zTz7IP2pG3oQk\"}");

    /// <summary>An OpenAI SSE stream of <paramref name="chunks"/> content chunks, a finish chunk and <c>[DONE]</c>.</summary>
    public static byte[] SseStream(int chunks)
    {
        var chunk = "data: " + Encoding.UTF8.GetString(ContentChunk()) + "\n\n";
        var json = new StringBuilder();
        for (var i = 0; i < chunks - 1; i++)
        {
            json.Append(chunk);
        }

        json.Append("data: {\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
        json.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private static void AppendHistory(StringBuilder json, BodySize size)
    {
        if (size == BodySize.Small)
        {
            return;
        }

        // About 420 bytes a round trip: 70 of them make a request of about 30 KB.
        for (var i = 0; i < 70; i++)
        {
            json.Append("{\"role\":\"user\",\"content\":\"").Append(Turn).Append("\"},");
            json.Append("{\"role\":\"assistant\",\"content\":\"").Append(Answer).Append("\"},");
        }
    }
}
