namespace LlmGateway;

/// <summary>
/// Per-endpoint request body limits in bytes (<c>LlmGateway:MaxRequestBodySizes:&lt;endpoint&gt;</c>), each lower than or
/// equal to <see cref="LlmGatewayOptions.MaxRequestBodySize"/>. That one stays the ceiling because the gateway itself
/// (<see cref="ILlmGateway"/>, in-process callers included) enforces it whatever endpoint a body came through; these
/// narrow it where a smaller body is all an endpoint needs. Unset: the ceiling applies (audio uploads excepted).
/// </summary>
public sealed class RequestBodySizeOptions
{
    /// <summary>The audio upload limit when <see cref="Audio"/> is unset: 25 MiB, OpenAI's own file limit.</summary>
    public const long DefaultAudio = 25 * 1024 * 1024;

    /// <summary>Gets or sets the limit of <c>POST /v1/chat/completions</c>.</summary>
    public long? Chat { get; set; }

    /// <summary>Gets or sets the limit of <c>POST /v1/embeddings</c>.</summary>
    public long? Embeddings { get; set; }

    /// <summary>Gets or sets the limit of <c>POST /v1/audio/transcriptions</c> and <c>/v1/audio/translations</c>.
    /// Unset: <see cref="DefaultAudio"/>, or <see cref="LlmGatewayOptions.MaxRequestBodySize"/> if that is lower.</summary>
    public long? Audio { get; set; }

    /// <summary>Gets or sets the limit of <c>POST /v1/audio/speech</c>.</summary>
    public long? Speech { get; set; }

    /// <summary>Gets or sets the limit of <c>/v1/responses</c> and the stored-response paths below it.</summary>
    public long? Responses { get; set; }
}
