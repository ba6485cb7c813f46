using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A tiny in-process Kestrel upstream for what depends on timing (first chunk before the end, a client that goes
/// away, a connection dropped mid-stream), which WireMock cannot script.
/// </summary>
internal sealed class StubUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubUpstream(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>Gets the base URL to configure as an OpenAI instance's BaseUrl (ends in /v1).</summary>
    public string BaseUrl { get; }

    public static async Task<StubUpstream> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app;
        lock (HostBuildGate.Gate)
        {
            app = builder.Build();
        }

        app.Run(handler);
        await app.StartAsync();
        return new StubUpstream(app, app.Urls.First() + "/v1");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
