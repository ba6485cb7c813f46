namespace LlmGateway.AspNetCore.Internal;

/// <summary>The body limit of one operation and the setting that gives it, so a 413 can name what to raise.</summary>
internal readonly record struct RequestBodyLimit(long Bytes, string Setting)
{
    private const string Prefix = LlmGatewayOptions.SectionName + ":" + nameof(LlmGatewayOptions.MaxRequestBodySizes) + ":";

    public static RequestBodyLimit For(LlmGatewayOptions options, GatewayOperation operation)
    {
        var sizes = options.MaxRequestBodySizes;
        var (value, name) = operation switch
        {
            GatewayOperation.ChatCompletions => (sizes.Chat, nameof(sizes.Chat)),
            GatewayOperation.Embeddings => (sizes.Embeddings, nameof(sizes.Embeddings)),
            GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations =>
                (sizes.Audio ?? Math.Min(RequestBodySizeOptions.DefaultAudio, options.MaxRequestBodySize), nameof(sizes.Audio)),
            GatewayOperation.AudioSpeech => (sizes.Speech, nameof(sizes.Speech)),
            GatewayOperation.Responses or GatewayOperation.ResponsesResource => (sizes.Responses, nameof(sizes.Responses)),
            _ => (null, null),
        };

        return value is { } bytes && name is not null
            ? new RequestBodyLimit(bytes, Prefix + name)
            : new RequestBodyLimit(options.MaxRequestBodySize, LlmGatewayOptions.SectionName + ":" + nameof(LlmGatewayOptions.MaxRequestBodySize));
    }

    public GatewayError TooLarge() =>
        new(GatewayErrorKind.RequestTooLarge, $"The request body is larger than the gateway accepts ({Bytes} bytes; {Setting}).");
}
