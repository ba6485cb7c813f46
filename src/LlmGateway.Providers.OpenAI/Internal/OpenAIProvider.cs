using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LlmGateway.OpenAI.Internal;

/// <summary>
/// An OpenAI or OpenAI-compatible upstream. The client's body goes upstream byte for byte (the pipeline has already
/// replaced the model id where it had to); the upstream's answer, status and error body come back unchanged.
/// </summary>
internal sealed class OpenAIProvider : ILlmProvider, IProviderReadiness
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");
    private static readonly ProductInfoHeaderValue s_userAgent = new("LlmGateway", typeof(OpenAIProvider).Assembly.GetName().Version?.ToString(3));

    private readonly OpenAIProviderOptions _options;
    private readonly HttpMessageInvoker _http;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Uri _chatCompletions;
    private readonly Uri _embeddings;
    private readonly Uri _speech;
    private readonly Uri _transcriptions;
    private readonly Uri _translations;
    private readonly Uri _responses;
    private readonly Uri _baseUri;
    private readonly Uri _models;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _streamIdleTimeout;
    private readonly GatewayError? _notConfigured;
    private volatile bool _responsesUnavailable;

    public OpenAIProvider(
        string name,
        OpenAIProviderOptions options,
        LlmGatewayOptions gatewayOptions,
        IHttpMessageHandlerFactory handlers,
        TimeProvider timeProvider,
        ILogger logger)
    {
        Name = name;
        _options = options;
        _http = UpstreamRequests.CreateInvoker(handlers, OpenAIGatewayBuilderExtensions.HttpClientName);
        _timeProvider = timeProvider;
        _logger = logger;
        _requestTimeout = gatewayOptions.RequestTimeout;
        _streamIdleTimeout = gatewayOptions.StreamIdleTimeout;

        var baseUrl = (options.BaseUrl ?? OpenAIProviderFactory.DefaultBaseUrl).TrimEnd('/') + "/";
        var baseUri = new Uri(baseUrl, UriKind.Absolute);
        _chatCompletions = new Uri(baseUri, "chat/completions");
        _embeddings = new Uri(baseUri, "embeddings");
        _speech = new Uri(baseUri, "audio/speech");
        _transcriptions = new Uri(baseUri, "audio/transcriptions");
        _translations = new Uri(baseUri, "audio/translations");
        _responses = new Uri(baseUri, "responses");
        _baseUri = baseUri;
        _models = new Uri(baseUri, "models");

        var openAIItself = baseUri.Host.EndsWith("api.openai.com", StringComparison.OrdinalIgnoreCase);
        Capabilities = ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions | ProviderCapabilities.Embeddings
            | ProviderCapabilities.ModelList | ProviderCapabilities.AudioSpeech | ProviderCapabilities.AudioTranscriptions
            | ProviderCapabilities.AudioTranslations
            | (options.UseResponsesApi ?? openAIItself ? ProviderCapabilities.Responses : ProviderCapabilities.None);

        // OpenAI's own API needs a key; a local OpenAI-compatible server (Ollama, vLLM) usually does not, so for
        // those the request goes without one and the upstream decides.
        if (string.IsNullOrEmpty(options.ApiKey) && openAIItself)
        {
            var env = string.Equals(name, ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase) ? " or the OPENAI_API_KEY environment variable" : string.Empty;
            _notConfigured = new GatewayError(
                GatewayErrorKind.ProviderNotConfigured,
                $"The provider '{name}' has no API key. Set LlmGateway:Providers:{name}:ApiKey{env}.");
        }
    }

    public string Name { get; }

    /// <inheritdoc/>
    public string? NotConfiguredReason => _notConfigured?.Message;

    public string Type => ProviderTypes.OpenAI;

    public ProviderCapabilities Capabilities { get; }

    /// <remarks>Not itself async: the common path returns the upstream call's own task, one state machine fewer
    /// per request.</remarks>
    public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_notConfigured is { } notConfigured && request.ApiKey is null)
        {
            return ValueTask.FromResult(GatewayResponse.FromError(notConfigured));
        }

        return request.Operation == GatewayOperation.ChatCompletions && (Capabilities & ProviderCapabilities.Responses) != 0 && !_responsesUnavailable
            ? SendTryingResponsesAsync(request, cancellationToken)
            : SendDirectAsync(request, cancellationToken);
    }

    private async ValueTask<GatewayResponse> SendTryingResponsesAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        await ChatOverResponsesAsync(request, cancellationToken) ?? await SendDirectAsync(request, cancellationToken);

    private ValueTask<GatewayResponse> SendDirectAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var uri = request.Operation switch
        {
            GatewayOperation.ChatCompletions => _chatCompletions,
            GatewayOperation.Embeddings => _embeddings,
            GatewayOperation.AudioSpeech => _speech,
            GatewayOperation.AudioTranscriptions => _transcriptions,
            GatewayOperation.AudioTranslations => _translations,
            GatewayOperation.Responses => _responses,
            GatewayOperation.ResponsesResource when request.ResourcePath is { } path => new Uri(_baseUri, path),
            _ => throw new NotSupportedException($"Operation {request.Operation} is not supported by the OpenAI provider."),
        };

        return UpstreamRequests.RunAsync(
            Name,
            request.TimeoutOr(_requestTimeout),
            _timeProvider,
            _logger,
            (Provider: this, Request: request, Uri: uri),
            static (state, token, streamToken) => state.Provider.SendCoreAsync(state.Request, state.Uri, token, streamToken),
            cancellationToken);
    }

    private async Task<GatewayResponse> SendCoreAsync(ProviderRequest request, Uri uri, CancellationToken cancellationToken, CancellationToken streamToken)
    {
        using var message = new HttpRequestMessage(request.Method ?? HttpMethod.Post, uri);
        if (request.Operation != GatewayOperation.ResponsesResource || !request.Body.IsEmpty)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
            if (request.ContentType is null)
            {
                message.Content.Headers.ContentType = s_json;
            }
            else
            {
                // A multipart body goes with its own boundary, unchanged.
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        ApplyHeaders(message, request.RequestId, request.ApiKey);
        UpstreamRequests.Prepare(message, request);
        if (request.Stream)
        {
            message.Headers.Accept.Add(s_eventStream);
        }

        var response = await _http.SendAsync(message, cancellationToken);
        try
        {
            var upstreamRequestId = UpstreamRequests.RequestId(response);
            if (!response.IsSuccessStatusCode)
            {
                _logger.UpstreamStatus(Name, (int)response.StatusCode);
                var errorBody = await UpstreamRequests.ReadErrorBodyAsync(response.Content, cancellationToken);
                return GatewayResponse.FromError(UpstreamRequests.FromErrorResponse(Name, (int)response.StatusCode, errorBody, UpstreamRequests.RetryAfter(response), request.ApiKeyFromCaller, _logger))
                    .WithUpstreamRequestIdSet(upstreamRequestId);
            }

            if (request.Stream && request.Operation == GatewayOperation.ChatCompletions)
            {
                if (response.Content.Headers.ContentType?.MediaType is not "text/event-stream")
                {
                    return UpstreamRequests.InvalidResponse(_logger, Name, $"a stream was asked for, but it answered '{response.Content.Headers.ContentType?.MediaType}'.");
                }

                var events = ReadEventsAsync(response, openAIFraming: true, streamToken);
                response = null; // the stream owns it now
                return GatewayResponse.FromEvents(events).WithUpstreamRequestIdSet(upstreamRequestId);
            }

            if (request.Stream && request.Operation == GatewayOperation.Responses)
            {
                if (response.Content.Headers.ContentType?.MediaType is not "text/event-stream")
                {
                    return UpstreamRequests.InvalidResponse(_logger, Name, $"a stream was asked for, but it answered '{response.Content.Headers.ContentType?.MediaType}'.");
                }

                var events = ReadResponseEventsAsync(response, streamToken);
                response = null;
                return GatewayResponse.FromEvents(events, endsWithDone: false).WithUpstreamRequestIdSet(upstreamRequestId);
            }

            if (request.Stream && response.Content.Headers.ContentType?.MediaType is "text/event-stream")
            {
                // A streamed transcription: its events end with transcript.text.done, not [DONE].
                var events = ReadEventsAsync(response, openAIFraming: false, streamToken);
                response = null;
                return GatewayResponse.FromEvents(events).WithUpstreamRequestIdSet(upstreamRequestId);
            }

            if (request.Operation == GatewayOperation.AudioSpeech)
            {
                // Audio streams back as it arrives; the request timeout no longer applies once it flows.
                var audio = await response.Content.ReadAsStreamAsync(cancellationToken);
                var owner = response;
                response = null;
                return GatewayResponse.FromStream(audio, owner.Content.Headers.ContentType?.ToString() ?? "application/octet-stream", owner)
                    .WithUpstreamRequestIdSet(upstreamRequestId);
            }

            var body = await UpstreamRequests.ReadBodyAsync(response.Content, cancellationToken);
            if (request.Operation is GatewayOperation.AudioTranscriptions or GatewayOperation.AudioTranslations)
            {
                // Audio, or a transcript in the format asked (json, text, srt, vtt): the bytes and their media type
                // as the upstream sent them.
                return GatewayResponse.FromBody(body, (int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream")
                    .WithUpstreamRequestIdSet(upstreamRequestId);
            }

            return ResponsesFailures.IsJsonObject(body)
                ? GatewayResponse.FromBody(body, (int)response.StatusCode).WithUpstreamRequestIdSet(upstreamRequestId)
                : UpstreamRequests.InvalidResponse(_logger, Name, "its body is not a JSON object.");
        }
        finally
        {
            response?.Dispose();
        }
    }

    /// <summary>
    /// A chat completion sent over the Responses API and translated back, so it looks exactly like a chat completion;
    /// null when the request needs chat completions, or when the upstream turns out to have no Responses API (a 404,
    /// 405 or 501 that is not about the model), which is then remembered for this instance.
    /// </summary>
    private async ValueTask<GatewayResponse?> ChatOverResponsesAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        byte[]? body;
        bool includeUsage;
        try
        {
            body = ChatOverResponses.TranslateRequest(request.Body, background: _options.UseBackgroundMode && !request.Stream, out includeUsage);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException)
        {
            return null; // something unusual in the request: chat completions will judge it
        }

        if (body is null)
        {
            return null;
        }

        var response = await SendAsync(new ProviderRequest(GatewayOperation.Responses, body, request.Model, request.Stream) { RequestId = request.RequestId, ApiKey = request.ApiKey, CallerId = request.CallerId, ApiKeyFromCaller = request.ApiKeyFromCaller }, cancellationToken);
        if (response.Error is { } error)
        {
            if (error.StatusCode is 404 or 405 or 501 && error.Code != "model_not_found" && !Encoding.UTF8.GetString(error.UpstreamBody.Span).Contains("model_not_found", StringComparison.Ordinal))
            {
                _responsesUnavailable = true;
                _logger.ResponsesApiUnavailable(Name);
                return null;
            }

            return response;
        }

        if (response.Events is { } events)
        {
            return GatewayResponse.FromEvents(ResponsesToChatCompletion.TranslateStreamAsync(events, includeUsage, cancellationToken))
                .WithUpstreamRequestIdSet(response.UpstreamRequestId);
        }

        if (_options.UseBackgroundMode && !request.Stream)
        {
            response = await AwaitBackgroundAsync(response, request, cancellationToken);
            if (response.Error is not null)
            {
                return response;
            }
        }

        using var document = JsonDocument.Parse(response.Body);
        return ResponsesToChatCompletion.Translate(document.RootElement).WithUpstreamRequestIdSet(response.UpstreamRequestId);
    }

    /// <summary>
    /// Polls a background response until it is no longer queued or in progress: 1 s, doubling to 30 s between polls,
    /// within the request timeout. A caller that goes away, or a timeout, cancels it upstream; once it is done, the
    /// stored response is deleted, as chat completions are not stored.
    /// </summary>
    private async Task<GatewayResponse> AwaitBackgroundAsync(GatewayResponse created, ProviderRequest origin, CancellationToken cancellationToken)
    {
        string? id;
        string? status;
        using (var document = JsonDocument.Parse(created.Body))
        {
            id = document.RootElement.TryGetProperty("id", out var i) ? i.GetString() : null;
            status = document.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
        }

        if (id is null)
        {
            return UpstreamRequests.InvalidResponse(_logger, Name, "a background response came without an id.");
        }

        var current = created;
        var delay = TimeSpan.FromSeconds(1);
        var deadline = _timeProvider.GetUtcNow() + _requestTimeout;
        try
        {
            while (status is "queued" or "in_progress")
            {
                if (_timeProvider.GetUtcNow() + delay > deadline)
                {
                    await CancelBackgroundAsync(id, origin);
                    return GatewayResponse.FromError(new GatewayError(
                        GatewayErrorKind.UpstreamTimeout,
                        $"The background response of provider '{Name}' did not finish within {_requestTimeout} (LlmGateway:RequestTimeout)."));
                }

                await Task.Delay(delay, _timeProvider, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                current = await SendAsync(Resource(HttpMethod.Get, id, origin), cancellationToken);
                if (current.Error is not null)
                {
                    return current;
                }

                using var document = JsonDocument.Parse(current.Body);
                status = document.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CancelBackgroundAsync(id, origin);
            throw;
        }

        await SendQuietlyAsync(Resource(HttpMethod.Delete, id, origin));
        return current;
    }

    private Task CancelBackgroundAsync(string id, ProviderRequest origin) => SendQuietlyAsync(Resource(HttpMethod.Post, id, origin, "/cancel"));

    /// <summary>Best effort, bounded, and not tied to the caller, who may be gone already.</summary>
    private async Task SendQuietlyAsync(ProviderRequest request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _timeProvider);
        try
        {
            await using var _ = await SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The upstream will expire the response on its own.
        }
    }

    /// <summary>A call about a background response, with the key and caller of the request that created it.</summary>
    private static ProviderRequest Resource(HttpMethod method, string id, ProviderRequest origin, string suffix = "") =>
        new(GatewayOperation.ResponsesResource, ReadOnlyMemory<byte>.Empty, string.Empty, stream: false)
        {
            ApiKey = origin.ApiKey,
            CallerId = origin.CallerId,
            Method = method,
            ResourcePath = $"responses/{Uri.EscapeDataString(id)}{suffix}",
        };

    public async ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        if (_notConfigured is { } notConfigured)
        {
            return ModelListResult.Failure(notConfigured);
        }

        using var message = new HttpRequestMessage(HttpMethod.Get, _models);
        ApplyHeaders(message, requestId: null, apiKey: null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(message, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                var errorBody = await UpstreamRequests.ReadErrorBodyAsync(response.Content, linked.Token);
                return ModelListResult.Failure(UpstreamRequests.FromErrorResponse(Name, (int)response.StatusCode, errorBody, retryAfter: null, callerKey: false, _logger));
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: linked.Token);
            return ParseModelList(document.RootElement) is { } models
                ? ModelListResult.Success(models)
                : ModelListResult.Failure(new GatewayError(GatewayErrorKind.UpstreamInvalidResponse, $"The upstream of provider '{Name}' answered a model list without 'data'."));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException or JsonException)
        {
            return ModelListResult.Failure(new GatewayError(GatewayErrorKind.UpstreamUnreachable, $"The model list of provider '{Name}' could not be read: {ex.GetType().Name}."));
        }
    }

    internal static List<ModelInfo>? ParseModelList(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var models = new List<ModelInfo>(data.GetArrayLength());
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                var created = item.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : 0;
                models.Add(new ModelInfo(id.GetString()!, created, string.Empty));
            }
        }

        return models;
    }

    private async IAsyncEnumerable<GatewayEvent> ReadEventsAsync(HttpResponseMessage response, bool openAIFraming, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            var body = await UpstreamRequests.OpenStreamAsync(response, cancellationToken);

            await foreach (var item in SseReader.ReadAsync(body, _streamIdleTimeout, _timeProvider, openAIFraming, cancellationToken))
            {
                yield return item;
            }
        }
    }

    /// <summary>
    /// A Responses API stream, passed on event by event with its event names. It ends with no <c>[DONE]</c>: its last
    /// event (<c>response.completed</c>, <c>response.failed</c>, <c>response.incomplete</c> or <c>error</c>) says how it
    /// ended, and reaches the client as it is, but for a failure's message, masked. A stream that stops before one of
    /// those was cut.
    /// </summary>
    private async IAsyncEnumerable<GatewayEvent> ReadResponseEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var finished = false;
        await foreach (var item in ReadEventsAsync(response, openAIFraming: false, cancellationToken))
        {
            if (IsTerminal(item))
            {
                finished = true;

                // A failure event is the gateway's rebuild of the upstream's, its message masked.
                yield return new GatewayEvent(ResponsesFailures.Rebuild(item.Data, item.EventType), item.EventType);
                continue;
            }

            yield return item;
        }

        if (!finished)
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "The upstream closed the response stream before its final event."));
        }
    }

    private static bool IsTerminal(GatewayEvent item)
    {
        var type = item.EventType;
        if (type is null)
        {
            try
            {
                using var document = JsonDocument.Parse(item.Data);
                type = document.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        return type is "response.completed" or "response.failed" or "response.incomplete" or "error";
    }

    /// <param name="message">The request.</param>
    /// <param name="requestId">The gateway's request id.</param>
    /// <param name="apiKey">A key for this call only (brought by the caller, or stored with its gateway key), used
    /// instead of the configured one; never kept.</param>
    private void ApplyHeaders(HttpRequestMessage message, string? requestId, string? apiKey)
    {
        var headers = message.Headers;
        headers.UserAgent.Add(s_userAgent);
        var key = apiKey ?? _options.ApiKey;
        if (!string.IsNullOrEmpty(key))
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (!string.IsNullOrEmpty(_options.Organization))
        {
            headers.TryAddWithoutValidation("OpenAI-Organization", _options.Organization);
        }

        if (!string.IsNullOrEmpty(_options.Project))
        {
            headers.TryAddWithoutValidation("OpenAI-Project", _options.Project);
        }

        if (requestId is not null)
        {
            headers.TryAddWithoutValidation("X-Client-Request-Id", requestId);
        }
    }
}
