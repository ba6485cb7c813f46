namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>A gateway instance on Kestrel and a client of it, disposed together.</summary>
internal sealed record RunningGateway(GatewayHost Host, HttpClient Client) : IDisposable
{
    public void Dispose()
    {
        Client.Dispose();
        Host.Dispose();
    }
}
