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
}
