using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// An Anthropic Messages API instance behind the OpenAI chat completions surface. The translation lives in
/// <see cref="AnthropicRequestTranslator"/>, <see cref="AnthropicResponseTranslator"/>,
/// <see cref="AnthropicStreamTranslator"/> and <see cref="AnthropicErrors"/>; this class only sends the request
/// (<c>POST {BaseUrl}/v1/messages</c> with <c>x-api-key</c> and <c>anthropic-version</c>) with the provider SDK's
/// <see cref="UpstreamRequests"/> and <see cref="SseReader"/>: the gateway's time budget, retries, circuit breaking and
/// stream idle timeout apply to it as to the built-in providers. Expected failures are returned as errors, never thrown.
/// </summary>
internal sealed class AnthropicProvider : ILlmProvider, IProviderReadiness
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly AnthropicProviderOptions _options;
    private readonly LlmGatewayOptions _gatewayOptions;
    private readonly HttpMessageInvoker _http;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Uri _messagesUri;

    public AnthropicProvider(string name, AnthropicProviderOptions options, LlmGatewayOptions gatewayOptions, HttpMessageInvoker http, TimeProvider timeProvider, ILogger logger)
    {
        Name = name;
        _options = options;
        _gatewayOptions = gatewayOptions;
        _http = http;
        _timeProvider = timeProvider;
        _logger = logger;
        _messagesUri = new Uri($"{(options.BaseUrl ?? AnthropicProviderFactory.DefaultBaseUrl).TrimEnd('/')}/v1/messages");
    }

    public string Name { get; }

    public string Type => AnthropicProviderFactory.ProviderType;

    public ProviderCapabilities Capabilities =>
        ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions | ProviderCapabilities.ModelList;

    /// <summary>Without a configured key the instance can serve only callers who bring their own; readiness says so.</summary>
    public string? NotConfiguredReason => string.IsNullOrEmpty(_options.ApiKey)
        ? $"The provider '{Name}' has no API key. Set LlmGateway:Providers:{Name}:ApiKey."
        : null;

    public async ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Operation != GatewayOperation.ChatCompletions)
        {
            return Fail(GatewayErrorKind.UnsupportedOperation, $"{request.Operation} is not supported for Anthropic models; chat completions are.");
        }

        // A key for this call only (brought by the caller, or stored with its gateway key) wins; it is never kept.
        var apiKey = request.ApiKey ?? _options.ApiKey;
        if (string.IsNullOrEmpty(apiKey))
        {
            return Fail(GatewayErrorKind.ProviderNotConfigured, NotConfiguredReason!);
        }

        TranslatedRequest translated;
        try
        {
            translated = AnthropicRequestTranslator.Translate(request.Body, request.Model, request.Stream, _options.DefaultMaxTokens);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            return Fail(GatewayErrorKind.InvalidRequest, $"The request has a value of the wrong type for an Anthropic model: {ex.Message}");
        }

        if (translated.Error is { } error)
        {
            return GatewayResponse.FromError(error);
        }

        return await UpstreamRequests.RunAsync(
            Name,
            request.TimeoutOr(_gatewayOptions.RequestTimeout),
            _timeProvider,
            _logger,
            (Provider: this, Request: request, Translated: translated, ApiKey: apiKey),
            static (state, token, streamToken) => state.Provider.SendCoreAsync(state.Request, state.Translated, state.ApiKey, token, streamToken),
            cancellationToken);
    }

    /// <summary>Lists the configured <see cref="ProviderOptions.Models"/>; the upstream is not asked.</summary>
    public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ModelListResult.Success(_options.Models.Select(model => new ModelInfo(model, 0, Name)).ToList()));

    private async Task<GatewayResponse> SendCoreAsync(ProviderRequest request, TranslatedRequest translated, string apiKey, CancellationToken cancellationToken, CancellationToken streamToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _messagesUri) { Content = new ByteArrayContent(translated.Body) };
        message.Content.Headers.ContentType = s_json;
        message.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        message.Headers.TryAddWithoutValidation("anthropic-version", _options.AnthropicVersion);
        UpstreamRequests.Prepare(message, request);

        var response = await _http.SendAsync(message, cancellationToken);
        try
        {
            // Anthropic names its request id "request-id", not OpenAI's "x-request-id".
            var requestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;
            if (!response.IsSuccessStatusCode)
            {
                var body = await UpstreamRequests.ReadErrorBodyAsync(response.Content, cancellationToken);
                var status = (int)response.StatusCode;
                var upstreamError = status is 401 or 403 && !request.ApiKeyFromCaller
                    ? UpstreamRequests.CredentialsRejected(Name, status, _logger)
                    : AnthropicErrors.FromResponse(Name, status, body, UpstreamRequests.RetryAfter(response), request.ApiKeyFromCaller);
                return GatewayResponse.FromError(upstreamError).WithUpstreamRequestId(requestId);
            }

            var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
            if (request.Stream)
            {
                var translator = new AnthropicStreamTranslator(request.Model, translated.IncludeUsage, created);
                var events = ReadStreamAsync(response, translator, streamToken);
                response = null; // the stream owns it now
                return GatewayResponse.FromEvents(events).WithUpstreamRequestId(requestId);
            }

            var answer = await UpstreamRequests.ReadBodyAsync(response.Content, cancellationToken);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(answer);
            }
            catch (JsonException)
            {
                return UpstreamRequests.InvalidResponse(_logger, Name, "The upstream answered with a body that is not JSON.");
            }

            using (document)
            {
                return AnthropicResponseTranslator.Translate(document.RootElement, request.Model, created) is { } translatedBody
                    ? GatewayResponse.FromBody(translatedBody).WithUpstreamRequestId(requestId)
                    : UpstreamRequests.InvalidResponse(_logger, Name, "The upstream answered something that is not a message.");
            }
        }
        finally
        {
            response?.Dispose();
        }
    }

    private async IAsyncEnumerable<GatewayEvent> ReadStreamAsync(HttpResponseMessage response, AnthropicStreamTranslator translator, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            var body = await UpstreamRequests.OpenStreamAsync(response, cancellationToken);

            // Anthropic's framing is not OpenAI's (named events, message_stop instead of [DONE]): the reader hands over
            // each event's data and type, enforces the idle timeout and reports a broken connection; whether the stream
            // was complete is for the translator to tell.
            var chunks = new List<byte[]>(2);
            await foreach (var item in SseReader.ReadAsync(body, _gatewayOptions.StreamIdleTimeout, _timeProvider, openAIFraming: false, cancellationToken))
            {
                chunks.Clear();
                translator.Translate(item.Data.Span, chunks);
                foreach (var chunk in chunks)
                {
                    yield return new GatewayEvent(chunk);
                }

                if (translator.Completed)
                {
                    yield break;
                }
            }

            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, $"The upstream of provider instance '{Name}' ended the stream before message_stop."));
        }
    }

    private static GatewayResponse Fail(GatewayErrorKind kind, string message) => GatewayResponse.FromError(new GatewayError(kind, message));
}
