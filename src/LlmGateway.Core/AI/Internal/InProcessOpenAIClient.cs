using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace LlmGateway.Internal;

/// <summary>
/// An official OpenAI SDK client whose transport is the gateway pipeline itself.
/// </summary>
/// <remarks>
/// The Microsoft.Extensions.AI abstractions are mapped to and from OpenAI's wire format by the dotnet team's own
/// adapter (Microsoft.Extensions.AI.OpenAI) rather than a second mapping of our own: an app gets exactly what it
/// would get from the same SDK over HTTP through the gateway, tool calls and all, without a socket.
/// </remarks>
internal static class InProcessOpenAIClient
{
    private static readonly Uri s_endpoint = new("http://llmgateway.in-process/v1");

    public static OpenAIClient Create(ILlmGateway gateway, ILogger logger, GatewayCaller? caller = null)
    {
        var httpClient = new HttpClient(new InProcessGatewayHandler(gateway, logger, caller)) { Timeout = Timeout.InfiniteTimeSpan };
        var options = new OpenAIClientOptions
        {
            Endpoint = s_endpoint,
            Transport = new HttpClientPipelineTransport(httpClient),

            // The gateway's providers retry and time out upstream calls themselves; a second layer here would
            // multiply the attempts.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        return new OpenAIClient(new ApiKeyCredential("in-process"), options);
    }
}
