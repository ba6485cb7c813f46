namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>Request and response bodies in OpenAI's documented wire format.</summary>
internal static class Bodies
{
    public const string ChatCompletion = """
        {"id":"chatcmpl-abc123","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_test"}
        """;

    public const string Embeddings = """
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25,0.125]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}
        """;

    /// <summary>The base64 of the little-endian float32 values 0.5, -0.25, 0.125, as OpenAI sends with encoding_format=base64.</summary>
    public static string EmbeddingsBase64 => $$$"""
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":"{{{Convert.ToBase64String([.. BitConverter.GetBytes(0.5f), .. BitConverter.GetBytes(-0.25f), .. BitConverter.GetBytes(0.125f)])}}}"}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}
        """;

    public const string Models = """
        {"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"},{"id":"llama3.2","object":"model","created":1700000000,"owned_by":"library"}]}
        """;

    public const string UpstreamError400 = """
        {"error":{"message":"Invalid value for 'temperature': must be between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}
        """;

    public const string ChatRequest = """
        {"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"temperature":0.2,"x_vendor_field":{"kept":[1,2,3]},"metadata":{"a":"b"}}
        """;
}
