using System.Net;
using System.Net.Sockets;

namespace LlmGateway.Samples.Tests.Infrastructure;

internal static class LoopbackPorts
{
    /// <summary>A loopback port nothing listens on (the system's pick, released at once).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
