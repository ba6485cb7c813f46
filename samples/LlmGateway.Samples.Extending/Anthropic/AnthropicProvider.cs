using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// An Anthropic Messages API instance behind the OpenAI chat completions surface. The translation lives in
/// <see cref="AnthropicRequestTranslator"/>, <see cref="AnthropicResponseTranslator"/>,
/// <see cref="AnthropicStreamTranslator"/> and <see cref="AnthropicErrors"/>; this class only sends the request
/// (<c>POST {BaseUrl}/v1/messages</c> with <c>x-api-key</c> and <c>anthropic-version</c>) and classifies what went wrong
/// on the way: expected failures are returned as errors, never thrown.
/// </summary>
internal sealed class AnthropicProvider : ILlmProvider
{
    /// <summary>The Messages API version this provider speaks, sent as <c>anthropic-version</c>.</summary>
    public const string ApiVersion = "2023-06-01";

    private const int MaxErrorBodySize = 64 * 1024;
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly ProviderOptions _options;
    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _timeProvider;
    private readonly Uri _messagesUri;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _streamIdleTimeout;

    public AnthropicProvider(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions, IHttpClientFactory httpClients, TimeProvider timeProvider)
    {
        Name = name;
        _options = options;
        _httpClients = httpClients;
        _timeProvider = timeProvider;
        _messagesUri = new Uri($"{(options.BaseUrl ?? AnthropicProviderFactory.DefaultBaseUrl).TrimEnd('/')}/v1/messages");
        _requestTimeout = gatewayOptions.RequestTimeout;
        _streamIdleTimeout = gatewayOptions.StreamIdleTimeout;
    }

    public string Name { get; }

    public string Type => AnthropicProviderFactory.ProviderType;

    public ProviderCapabilities Capabilities =>
        ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions | ProviderCapabilities.ModelList;

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
            return Fail(GatewayErrorKind.ProviderNotConfigured, $"The provider '{Name}' has no API key. Set LlmGateway:Providers:{Name}:ApiKey.");
        }

        TranslatedRequest translated;
        try
        {
            translated = AnthropicRequestTranslator.Translate(request.Body, request.Model, request.Stream);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            return Fail(GatewayErrorKind.InvalidRequest, $"The request has a value of the wrong type for an Anthropic model: {ex.Message}");
        }

        if (translated.Error is { } error)
        {
            return GatewayResponse.FromError(error);
        }

        using var timeout = new CancellationTokenSource(request.TimeoutOr(_requestTimeout), _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage? response = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, _messagesUri) { Content = new ByteArrayContent(translated.Body) };
            message.Content.Headers.ContentType = s_json;
            message.Headers.TryAddWithoutValidation("x-api-key", apiKey);
            message.Headers.TryAddWithoutValidation("anthropic-version", ApiVersion);
            response = await _httpClients.CreateClient(AnthropicGatewayBuilderExtensions.HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var requestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;

            if (!response.IsSuccessStatusCode)
            {
                var body = await ReadCappedAsync(response.Content, linked.Token);
                var upstreamError = AnthropicErrors.FromResponse(Name, (int)response.StatusCode, body, RetryAfter(response.Headers.RetryAfter, _timeProvider.GetUtcNow()), request.ApiKeyFromCaller);
                return GatewayResponse.FromError(upstreamError).WithUpstreamRequestId(requestId);
            }

            var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
            if (request.Stream)
            {
                var translator = new AnthropicStreamTranslator(request.Model, translated.IncludeUsage, created);
                var events = ReadStreamAsync(response, translator, cancellationToken);
                response = null; // the stream owns it now
                return GatewayResponse.FromEvents(events).WithUpstreamRequestId(requestId);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: linked.Token);
            return AnthropicResponseTranslator.Translate(document.RootElement, request.Model, created) is { } translatedBody
                ? GatewayResponse.FromBody(translatedBody).WithUpstreamRequestId(requestId)
                : Fail(GatewayErrorKind.UpstreamInvalidResponse, $"The upstream of provider instance '{Name}' answered something that is not a message.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return Fail(GatewayErrorKind.UpstreamTimeout, $"The upstream of provider instance '{Name}' did not answer within {request.TimeoutOr(_requestTimeout).TotalSeconds:0.#} s.");
        }
        catch (JsonException)
        {
            return Fail(GatewayErrorKind.UpstreamInvalidResponse, $"The upstream of provider instance '{Name}' answered with a body that is not JSON.");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return Fail(GatewayErrorKind.UpstreamUnreachable, $"The upstream of provider instance '{Name}' could not be reached.");
        }
        finally
        {
            response?.Dispose();
        }
    }

    /// <summary>Lists the configured <see cref="ProviderOptions.Models"/>; the upstream is not asked.</summary>
    public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ModelListResult.Success(_options.Models.Select(model => new ModelInfo(model, 0, Name)).ToList()));

    private async IAsyncEnumerable<GatewayEvent> ReadStreamAsync(HttpResponseMessage response, AnthropicStreamTranslator translator, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "The upstream connection broke before the stream started."), ex);
            }

            var chunks = new List<byte[]>(2);
            await foreach (var item in UpstreamSse.ReadAsync(body, _streamIdleTimeout, cancellationToken))
            {
                chunks.Clear();
                translator.Translate(item.Data, chunks);
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

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > now => date - now,
        _ => null,
    };

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxErrorBodySize];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return buffer[..read];
    }
}
