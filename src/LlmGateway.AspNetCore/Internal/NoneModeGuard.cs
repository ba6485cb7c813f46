using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Auth mode None is for local development: once the server has bound its addresses, a host that listens beyond
/// loopback in mode None (without <c>LlmGateway:Auth:AllowNoneBeyondLoopback</c>) fails to start: the host's
/// <c>StartAsync</c> (and <c>Run</c>) throws an <see cref="InvalidOperationException"/> naming the address and the
/// settings. The library never stops the process itself; the thin host exits non-zero because <c>Run</c> throws.
/// Until the host has stopped, the authenticator refuses every request that did not arrive on a loopback address.
/// </summary>
internal static class NoneModeGuard
{
    public static void Register(IServiceProvider services)
    {
        var runtime = services.GetService<ILlmGatewayRuntime>();
        var server = services.GetService<IServer>();
        if (runtime is null || server is null)
        {
            return;
        }

        runtime.AddStartedCheck(() => Check(runtime, server));
    }

    /// <exception cref="InvalidOperationException">Mode None and an address beyond loopback.</exception>
    private static void Check(ILlmGatewayRuntime runtime, IServer server)
    {
        var auth = runtime.Options.Auth;
        if (auth.Mode != GatewayAuthMode.None || auth.AllowNoneBeyondLoopback)
        {
            return;
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        var exposed = addresses?.FirstOrDefault(static a => !IsLoopback(a));
        if (exposed is null)
        {
            return;
        }

        throw new InvalidOperationException(
            $"LlmGateway:Auth:Mode is None, which authenticates nobody, but the server listens on {exposed}, beyond loopback, so the gateway does not start. "
            + "Listen on loopback only (localhost, 127.0.0.1, [::1]), configure gateway keys (LlmGateway:Auth:Mode Gateway), "
            + "or set LlmGateway:Auth:AllowNoneBeyondLoopback to true if every network that reaches that address is trusted.");
    }

    internal static bool IsLoopback(string address)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }

        if (binding.IsUnixPipe)
        {
            return true;
        }

        var host = binding.Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}
