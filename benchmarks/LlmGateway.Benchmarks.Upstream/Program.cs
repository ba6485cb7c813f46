using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

// The load benchmarks' upstream: it answers at once with bytes computed at start-up, so what a load test measures is
// the system in front of it. It reads and discards every request body (looking only for "stream":true) and logs
// nothing. OpenAI: chat completions (JSON or an SSE stream with a usage chunk), embeddings, models. Gemini v1beta:
// generateContent and streamGenerateContent?alt=sse, in the shapes the gateway's Gemini provider reads.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.Run(Upstream.HandleAsync);
app.Run();

internal static class Upstream
{
    private const string Answer = "Prince Hamlet seeks to avenge his father's murder by his uncle Claudius, who took the throne and married "
        + "Hamlet's mother. His hesitation and feigned madness lead to a tragic chain of deaths, including his own.";

    private static readonly byte[] ChatJson = Encoding.UTF8.GetBytes(
        """{"id":"chatcmpl-bench0001","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"ANSWER","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":45,"total_tokens":64,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_bench"}""".Replace("ANSWER", Answer, StringComparison.Ordinal));

    private static readonly byte[] ChatStream = BuildChatStream();

    private static readonly byte[] EmbeddingsJson = Encoding.UTF8.GetBytes(
        """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0123,-0.0456,0.0789,-0.0121,0.0345,-0.0678,0.0901,-0.0234]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}""");

    private static readonly byte[] ModelsJson = Encoding.UTF8.GetBytes(
        """{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}""");

    private static readonly byte[] GeminiJson = Encoding.UTF8.GetBytes(
        """{"candidates":[{"content":{"parts":[{"text":"ANSWER"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":19,"candidatesTokenCount":45,"totalTokenCount":64},"modelVersion":"gemini-2.5-flash","responseId":"bench0001"}""".Replace("ANSWER", Answer, StringComparison.Ordinal));

    private static readonly byte[] GeminiStream = BuildGeminiStream();

    private static ReadOnlySpan<byte> StreamTrue => "\"stream\":true"u8;

    private static ReadOnlySpan<byte> StreamTrueSpaced => "\"stream\": true"u8;

    public static async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var post = HttpMethods.IsPost(context.Request.Method);
        if (post && path == "/v1/chat/completions")
        {
            var stream = await ReadStreamFlagAsync(context.Request.BodyReader, context.RequestAborted);
            await WriteAsync(context, stream ? ChatStream : ChatJson, stream);
        }
        else if (post && path == "/v1/embeddings")
        {
            await ReadStreamFlagAsync(context.Request.BodyReader, context.RequestAborted);
            await WriteAsync(context, EmbeddingsJson, sse: false);
        }
        else if (!post && path == "/v1/models")
        {
            await WriteAsync(context, ModelsJson, sse: false);
        }
        else if (post && path.StartsWith("/v1beta/models/", StringComparison.Ordinal) && path.EndsWith(":generateContent", StringComparison.Ordinal))
        {
            await ReadStreamFlagAsync(context.Request.BodyReader, context.RequestAborted);
            await WriteAsync(context, GeminiJson, sse: false);
        }
        else if (post && path.StartsWith("/v1beta/models/", StringComparison.Ordinal) && path.EndsWith(":streamGenerateContent", StringComparison.Ordinal))
        {
            await ReadStreamFlagAsync(context.Request.BodyReader, context.RequestAborted);
            await WriteAsync(context, GeminiStream, sse: true);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }

    /// <summary>Reads the whole body (a client must be able to finish sending) and says whether it asked for a stream.</summary>
    private static async Task<bool> ReadStreamFlagAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted || result.IsCanceled)
            {
                var found = Contains(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return found;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static bool Contains(ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            var span = body.FirstSpan;
            return span.IndexOf(StreamTrue) >= 0 || span.IndexOf(StreamTrueSpaced) >= 0;
        }

        var copy = body.ToArray();
        return copy.AsSpan().IndexOf(StreamTrue) >= 0 || copy.AsSpan().IndexOf(StreamTrueSpaced) >= 0;
    }

    private static async Task WriteAsync(HttpContext context, byte[] body, bool sse)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = sse ? "text/event-stream" : "application/json";
        if (sse)
        {
            response.Headers.CacheControl = "no-cache";
        }
        else
        {
            response.ContentLength = body.Length;
        }

        await response.Body.WriteAsync(body, context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
    }

    private static string[] Words() => Answer.Split(' ');

    /// <summary>A role chunk, 18 content chunks, a finish chunk, a usage chunk and [DONE], as OpenAI streams them.</summary>
    private static byte[] BuildChatStream()
    {
        const string Head = """data: {"id":"chatcmpl-bench0001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_bench","choices":[""";
        var words = Words();
        var text = new StringBuilder();
        text.Append(Head).Append("""{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}""").Append("\n\n");
        const int Pieces = 18;
        for (var i = 0; i < Pieces; i++)
        {
            var from = i * words.Length / Pieces;
            var to = (i + 1) * words.Length / Pieces;
            var piece = string.Join(' ', words[from..to]) + (i < Pieces - 1 ? " " : string.Empty);
            text.Append(Head).Append("""{"index":0,"delta":{"content":"PIECE"},"logprobs":null,"finish_reason":null}],"usage":null}""".Replace("PIECE", piece, StringComparison.Ordinal)).Append("\n\n");
        }

        text.Append(Head).Append("""{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}""").Append("\n\n");
        text.Append(Head).Append("""],"usage":{"prompt_tokens":19,"completion_tokens":45,"total_tokens":64,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}""").Append("\n\n");
        text.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>20 GenerateContentResponse events; each carries usageMetadata, only the last its finishReason.</summary>
    private static byte[] BuildGeminiStream()
    {
        var words = Words();
        var text = new StringBuilder();
        const int Pieces = 20;
        for (var i = 0; i < Pieces; i++)
        {
            var from = i * words.Length / Pieces;
            var to = (i + 1) * words.Length / Pieces;
            var last = i == Pieces - 1;
            var piece = string.Join(' ', words[from..to]) + (last ? string.Empty : " ");
            var emitted = (i + 1) * 45 / Pieces;
            var chunk = """data: {"candidates":[{"content":{"parts":[{"text":"PIECE"}],"role":"model"}FINISH,"index":0}],"usageMetadata":{"promptTokenCount":19,"candidatesTokenCount":OUT,"totalTokenCount":TOTAL},"modelVersion":"gemini-2.5-flash","responseId":"bench0001"}"""
                .Replace("PIECE", piece, StringComparison.Ordinal)
                .Replace("FINISH", last ? ",\"finishReason\":\"STOP\"" : string.Empty, StringComparison.Ordinal)
                .Replace("OUT", emitted.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("TOTAL", (19 + emitted).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            text.Append(chunk).Append("\r\n\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
