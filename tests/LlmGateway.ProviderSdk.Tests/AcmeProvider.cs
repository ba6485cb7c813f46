using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace LlmGateway.ProviderSdk.Tests;

/// <summary>A third-party provider type's options: the common settings and one of its own.</summary>
public sealed class AcmeProviderOptions : ProviderOptions
{
    /// <summary>Gets or sets the deployment requests go to.</summary>
    public string? Deployment { get; set; }
}

/// <summary>A third-party provider type, written against the public API only: an OpenAI-format upstream that takes
/// its deployment in the path and its key in an <c>api-key</c> header.</summary>
public sealed class AcmeProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    public const string TypeName = "Acme";

    public const string HttpClientName = "Acme.Upstream";

    public string Type => TypeName;

    public Type OptionsType => typeof(AcmeProviderOptions);

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (options.ValidateBaseUrl(name) is { } error)
        {
            yield return error;
        }

        if (options.BaseUrl is null)
        {
            yield return $"LlmGateway:Providers:{name}:BaseUrl is required for an Acme instance.";
        }

        if (options is not AcmeProviderOptions { Deployment.Length: > 0 })
        {
            yield return $"LlmGateway:Providers:{name}:Deployment is required for an Acme instance.";
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new AcmeProvider(name, (AcmeProviderOptions)options, gatewayOptions, UpstreamRequests.CreateInvoker(handlers, HttpClientName), timeProvider, loggerFactory.CreateLogger<AcmeProvider>());
}

internal sealed class AcmeProvider(string name, AcmeProviderOptions options, LlmGatewayOptions gatewayOptions, HttpMessageInvoker http, TimeProvider timeProvider, ILogger logger)
    : ILlmProvider, IProviderReadiness
{
    private readonly Uri _chat = new(options.BaseUrl!.TrimEnd('/') + "/deployments/" + Uri.EscapeDataString(options.Deployment!) + "/chat/completions");

    public string Name => name;

    public string Type => AcmeProviderFactory.TypeName;

    public ProviderCapabilities Capabilities => ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions;

    public string? NotConfiguredReason => string.IsNullOrEmpty(options.ApiKey) ? $"The provider '{name}' has no API key. Set LlmGateway:Providers:{name}:ApiKey." : null;

    public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default) =>
        UpstreamRequests.RunAsync(
            Name,
            request.TimeoutOr(gatewayOptions.RequestTimeout),
            timeProvider,
            logger,
            (Provider: this, Request: request),
            static (state, token, streamToken) => state.Provider.SendCoreAsync(state.Request, token, streamToken),
            cancellationToken);

    public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ModelListResult.Success([]));

    private async Task<GatewayResponse> SendCoreAsync(ProviderRequest request, CancellationToken cancellationToken, CancellationToken streamToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _chat) { Content = new ReadOnlyMemoryContent(request.Body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.TryAddWithoutValidation("api-key", request.ApiKey ?? options.ApiKey);
        UpstreamRequests.Prepare(message, request);

        var response = await http.SendAsync(message, cancellationToken);
        try
        {
            var requestId = UpstreamRequests.RequestId(response);
            if (!response.IsSuccessStatusCode)
            {
                var error = await UpstreamRequests.ReadErrorBodyAsync(response.Content, cancellationToken);
                return GatewayResponse.FromError(UpstreamRequests.FromErrorResponse(
                    Name, (int)response.StatusCode, error, UpstreamRequests.RetryAfter(response), request.ApiKeyFromCaller, logger));
            }

            if (request.Stream)
            {
                var events = ReadEventsAsync(response, streamToken);
                response = null; // the stream owns it now
                var streamed = GatewayResponse.FromEvents(events);
                streamed.UpstreamRequestId = requestId;
                return streamed;
            }

            var body = await UpstreamRequests.ReadBodyAsync(response.Content, cancellationToken);
            var answer = GatewayResponse.FromBody(body);
            answer.UpstreamRequestId = requestId;
            return answer;
        }
        finally
        {
            response?.Dispose();
        }
    }

    private async IAsyncEnumerable<GatewayEvent> ReadEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            var body = await UpstreamRequests.OpenStreamAsync(response, cancellationToken);
            await foreach (var item in SseReader.ReadAsync(body, gatewayOptions.StreamIdleTimeout, timeProvider, openAIFraming: true, cancellationToken))
            {
                yield return item;
            }
        }
    }
}
