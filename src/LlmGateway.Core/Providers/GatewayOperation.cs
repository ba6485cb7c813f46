namespace LlmGateway;

/// <summary>The OpenAI API operations the gateway forwards. New operations are added as new members.</summary>
public enum GatewayOperation
{
    /// <summary><c>POST /v1/chat/completions</c>, streaming or not.</summary>
    ChatCompletions,

    /// <summary><c>POST /v1/embeddings</c>.</summary>
    Embeddings,

    /// <summary><c>POST /v1/audio/speech</c>: text in, audio bytes out.</summary>
    AudioSpeech,

    /// <summary><c>POST /v1/audio/transcriptions</c>: a multipart/form-data upload.</summary>
    AudioTranscriptions,

    /// <summary><c>POST /v1/audio/translations</c>: a multipart/form-data upload.</summary>
    AudioTranslations,

    /// <summary><c>POST /v1/responses</c>: create a response (the Responses API), streaming or not.</summary>
    Responses,

    /// <summary>A stored response: <c>GET</c> or <c>DELETE /v1/responses/{id}</c>, <c>POST /v1/responses/{id}/cancel</c>,
    /// <c>GET /v1/responses/{id}/input_items</c>; the request names the method and path, and carries no model.</summary>
    ResponsesResource,
}
