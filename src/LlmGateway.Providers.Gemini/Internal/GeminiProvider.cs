using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// A Gemini API (v1beta, REST) instance behind the OpenAI surface: chat (streaming and not), embeddings, speech and the
/// model list, translated both ways. The key travels in the <c>x-goog-api-key</c> header, never in the URL, since URLs
/// end up in logs.
/// </summary>
internal sealed partial class GeminiProvider : ILlmProvider, IProviderReadiness
{
    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue s_json = new("application/json");

    private readonly ProviderOptions _options;
    private readonly HttpMessageInvoker _http;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _baseUrl;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _streamIdleTimeout;
    private readonly GatewayError? _notConfigured;

    public GeminiProvider(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions, IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILogger logger)
    {
        Name = name;
        _options = options;
        _http = UpstreamRequests.CreateInvoker(handlers, GeminiGatewayBuilderExtensions.HttpClientName);
        _timeProvider = timeProvider;
        _logger = logger;
        _baseUrl = (options.BaseUrl ?? GeminiProviderFactory.DefaultBaseUrl).TrimEnd('/');
        _requestTimeout = gatewayOptions.RequestTimeout;
        _streamIdleTimeout = gatewayOptions.StreamIdleTimeout;
        if (string.IsNullOrEmpty(options.ApiKey))
        {
            var env = string.Equals(name, ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase) ? " or the GEMINI_API_KEY environment variable" : string.Empty;
            _notConfigured = new GatewayError(GatewayErrorKind.ProviderNotConfigured, $"The provider '{name}' has no API key. Set LlmGateway:Providers:{name}:ApiKey{env}.");
        }
    }

    public string Name { get; }

    /// <inheritdoc/>
    public string? NotConfiguredReason => _notConfigured?.Message;

    public string Type => ProviderTypes.Gemini;

    public ProviderCapabilities Capabilities =>
        ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions | ProviderCapabilities.Embeddings
        | ProviderCapabilities.ModelList | ProviderCapabilities.AudioSpeech;

    public async ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_notConfigured is { } notConfigured && request.ApiKey is null)
        {
            return GatewayResponse.FromError(notConfigured);
        }

        return request.Operation switch
        {
            GatewayOperation.ChatCompletions => await ChatAsync(request, cancellationToken),
            GatewayOperation.Embeddings => await EmbedAsync(request, cancellationToken),
            GatewayOperation.AudioSpeech => await SpeakAsync(request, cancellationToken),
            _ => GatewayResponse.FromError(new GatewayError(GatewayErrorKind.UnsupportedOperation, $"{request.Operation} is not supported for Gemini models.")),
        };
    }

    public async ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        if (_notConfigured is not null)
        {
            return ModelListResult.Success(GeminiModels.BuiltIn);
        }

        var models = new List<ModelInfo>();
        string? pageToken = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            for (var page = 0; page < 10; page++)
            {
                var uri = $"{_baseUrl}/models?pageSize=1000{(pageToken is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(pageToken))}";
                using var message = new HttpRequestMessage(HttpMethod.Get, uri);
                message.Headers.TryAddWithoutValidation("x-goog-api-key", _options.ApiKey);
                using var response = await _http.SendAsync(message, linked.Token);
                if (!response.IsSuccessStatusCode)
                {
                    _logger.ModelListFailed(Name, (int)response.StatusCode);
                    return ModelListResult.Success(GeminiModels.BuiltIn);
                }

                await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: linked.Token);
                models.AddRange(GeminiModels.Parse(document.RootElement));
                pageToken = document.RootElement.TryGetProperty("nextPageToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
                if (string.IsNullOrEmpty(pageToken))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException or JsonException)
        {
            _logger.ModelListUnreachable(Name, ex);
            return ModelListResult.Success(GeminiModels.BuiltIn);
        }

        return ModelListResult.Success(models);
    }

    private async ValueTask<GatewayResponse> ChatAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var translated = Translate(static (body, model) => ChatRequestTranslator.Translate(body, model), request, static error => new TranslatedChatRequest(error));
        if (translated.Error is { } error)
        {
            return GatewayResponse.FromError(error);
        }

        var uri = request.Stream
            ? $"{_baseUrl}/models/{Uri.EscapeDataString(request.Model)}:streamGenerateContent?alt=sse"
            : $"{_baseUrl}/models/{Uri.EscapeDataString(request.Model)}:generateContent";
        return await UpstreamRequests.RunAsync(
            Name,
            request.TimeoutOr(_requestTimeout),
            _timeProvider,
            _logger,
            (Provider: this, Request: request, Translated: translated, Uri: uri),
            static async (state, token, streamToken) =>
            {
                var self = state.Provider;
                var response = await self.PostAsync(state.Uri, state.Translated.Body, state.Request, token);
                try
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        return await self.ErrorAsync(response, state.Request.ApiKeyFromCaller, token);
                    }

                    if (state.Request.Stream)
                    {
                        var translator = new StreamTranslator(state.Request.Model, state.Translated.IncludeUsage, state.Translated.ParallelToolCalls, self._timeProvider);
                        var events = self.ReadStreamAsync(response, translator, streamToken);
                        response = null; // the stream owns it now
                        return GatewayResponse.FromEvents(events);
                    }

                    using var document = await ReadJsonAsync(response, token);
                    if (document is null)
                    {
                        return UpstreamRequests.InvalidResponse(self._logger, self.Name, "its body is not JSON.");
                    }

                    var body = ChatResponseTranslator.Translate(document.RootElement, state.Request.Model, state.Translated.ParallelToolCalls, self._timeProvider, out var failure);
                    return failure is null ? GatewayResponse.FromBody(body) : GatewayResponse.FromError(failure);
                }
                finally
                {
                    response?.Dispose();
                }
            },
            cancellationToken);
    }

    private async ValueTask<GatewayResponse> EmbedAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var translated = Translate(static (body, model) => EmbeddingTranslator.Translate(body, model), request, static error => new TranslatedEmbeddingRequest(error));
        if (translated.Error is { } error)
        {
            return GatewayResponse.FromError(error);
        }

        var uri = $"{_baseUrl}/models/{Uri.EscapeDataString(request.Model)}:{(translated.Batch ? "batchEmbedContents" : "embedContent")}";
        return await PostJsonAsync(
            uri,
            translated.Body,
            request,
            (Model: request.Model, translated.Base64),
            static (self, state, document) => EmbeddingTranslator.TranslateResponse(document.RootElement, state.Model, state.Base64) is { } body
                ? GatewayResponse.FromBody(body)
                : UpstreamRequests.InvalidResponse(self._logger, self.Name, "it answered no embeddings."),
            cancellationToken);
    }

    private async ValueTask<GatewayResponse> SpeakAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var translated = Translate(static (body, _) => SpeechTranslator.Translate(body), request, static error => new TranslatedSpeechRequest(error));
        if (translated.Error is { } error)
        {
            return GatewayResponse.FromError(error);
        }

        var uri = $"{_baseUrl}/models/{Uri.EscapeDataString(request.Model)}:generateContent";
        return await PostJsonAsync(
            uri,
            translated.Body,
            request,
            translated.Format,
            static (self, format, document) =>
                ChatResponseTranslator.Blocked(document.RootElement) is { } blocked ? GatewayResponse.FromError(blocked)
                : SpeechTranslator.TranslateResponse(document.RootElement, format) is { } audio ? GatewayResponse.FromBody(audio.Audio, 200, audio.ContentType)
                : UpstreamRequests.InvalidResponse(self._logger, self.Name, "it answered no audio."),
            cancellationToken);
    }

    /// <summary>Posts a Gemini request and translates its JSON answer; errors and failures are handled alike.</summary>
    private ValueTask<GatewayResponse> PostJsonAsync<TState>(
        string uri,
        byte[] body,
        ProviderRequest request,
        TState state,
        Func<GeminiProvider, TState, JsonDocument, GatewayResponse> translate,
        CancellationToken cancellationToken) =>
        UpstreamRequests.RunAsync(
            Name,
            request.TimeoutOr(_requestTimeout),
            _timeProvider,
            _logger,
            (Provider: this, Uri: uri, Body: body, Request: request, State: state, Translate: translate),
            static async (call, token, _) =>
            {
                var self = call.Provider;
                using var response = await self.PostAsync(call.Uri, call.Body, call.Request, token);
                if (!response.IsSuccessStatusCode)
                {
                    return await self.ErrorAsync(response, call.Request.ApiKeyFromCaller, token);
                }

                using var document = await ReadJsonAsync(response, token);
                return document is null
                    ? UpstreamRequests.InvalidResponse(self._logger, self.Name, "its body is not JSON.")
                    : call.Translate(self, call.State, document);
            },
            cancellationToken);

    /// <summary>
    /// Runs a request translator. The gateway has checked the types of the parameters it knows; a value of the wrong
    /// type deeper inside (a number among the stop sequences, say) surfaces here as the JSON reader's complaint, and
    /// is the client's mistake: a 400, never a 500.
    /// </summary>
    private static T Translate<T>(Func<ReadOnlyMemory<byte>, string, T> translate, ProviderRequest request, Func<GatewayError, T> fail)
    {
        try
        {
            return translate(request.Body, request.Model);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            return fail(new GatewayError(GatewayErrorKind.InvalidRequest, $"The request has a value of the wrong type for a Gemini model: {ex.Message}"));
        }
    }

    private async IAsyncEnumerable<GatewayEvent> ReadStreamAsync(HttpResponseMessage response, StreamTranslator translator, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            var body = await UpstreamRequests.OpenStreamAsync(response, cancellationToken);

            var chunks = new List<byte[]>(4);
            await foreach (var item in SseReader.ReadAsync(body, _streamIdleTimeout, _timeProvider, openAIFraming: false, cancellationToken))
            {
                chunks.Clear();
                Translate(translator, item.Data, chunks);
                foreach (var chunk in chunks)
                {
                    yield return new GatewayEvent(chunk);
                }
            }

            chunks.Clear();
            translator.Complete(chunks);
            foreach (var chunk in chunks)
            {
                yield return new GatewayEvent(chunk);
            }
        }
    }

    private static void Translate(StreamTranslator translator, ReadOnlyMemory<byte> data, List<byte[]> chunks)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException ex)
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "Gemini sent an event that is not JSON."), ex);
        }

        using (document)
        {
            translator.Translate(document.RootElement, chunks);
        }
    }

    /// <summary>Posts to Gemini with the key in the <c>x-goog-api-key</c> header: the request's
    /// <see cref="ProviderRequest.ApiKey"/>, a key for this call only (brought by the caller, or stored with its gateway
    /// key) and never kept, else the configured one.</summary>
    private Task<HttpResponseMessage> PostAsync(string uri, byte[] body, ProviderRequest request, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = s_json;
        message.Headers.TryAddWithoutValidation("x-goog-api-key", request.ApiKey ?? _options.ApiKey);
        UpstreamRequests.Prepare(message, request);

        return SendOwnedAsync(message, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendOwnedAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using (message)
        {
            return await _http.SendAsync(message, cancellationToken);
        }
    }

    private async Task<GatewayResponse> ErrorAsync(HttpResponseMessage response, bool callerKey, CancellationToken cancellationToken)
    {
        _logger.UpstreamStatus(Name, (int)response.StatusCode);
        var body = await UpstreamRequests.ReadErrorBodyAsync(response.Content, cancellationToken);
        return GatewayResponse.FromError(GeminiErrors.FromResponse(Name, (int)response.StatusCode, body, response.Headers.RetryAfter, callerKey, _logger));
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

}
