namespace LlmGateway;

/// <summary>What a provider instance can do. The gateway answers 400 <c>unsupported_operation</c> for the rest.</summary>
[Flags]
public enum ProviderCapabilities
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Non-streaming chat completions.</summary>
    ChatCompletions = 1,

    /// <summary>Streaming chat completions (<c>"stream": true</c>).</summary>
    StreamingChatCompletions = 2,

    /// <summary>Embeddings.</summary>
    Embeddings = 4,

    /// <summary>Listing the upstream's models.</summary>
    ModelList = 8,

    /// <summary>Text to speech (<c>/v1/audio/speech</c>).</summary>
    AudioSpeech = 16,

    /// <summary>Speech to text (<c>/v1/audio/transcriptions</c>).</summary>
    AudioTranscriptions = 32,

    /// <summary>Speech to English text (<c>/v1/audio/translations</c>).</summary>
    AudioTranslations = 64,

    /// <summary>The Responses API (<c>/v1/responses</c> and its stored responses).</summary>
    Responses = 128,
}
