using System.Net;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Auth mode None is for local development: once the server has bound its addresses, a host that listens beyond
/// loopback in mode None (without <c>LlmGateway:Auth:AllowNoneBeyondLoopback</c>) logs why and stops with exit code 1.
/// Until it has stopped, the authenticator refuses every request that did not arrive on a loopback address.
/// </summary>
internal static class NoneModeGuard
{
    public static void Register(IServiceProvider services)
    {
        var lifetime = services.GetService<IHostApplicationLifetime>();
        var server = services.GetService<IServer>();
        if (lifetime is null || server is null)
        {
            return;
        }

        lifetime.ApplicationStarted.Register(() => Check(services, server, lifetime));
    }

    private static void Check(IServiceProvider services, IServer server, IHostApplicationLifetime lifetime)
    {
        var auth = services.GetRequiredService<RouteTableProvider>().Current.Options.Auth;
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

        services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.AspNetCore").NoneModeExposed(exposed);
        (services.GetService<IExitCode>() ?? EnvironmentExitCode.Instance).Set(1);
        lifetime.StopApplication();
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

/// <summary>Where the process's exit code goes; tests replace it so a test host cannot set their own process's.</summary>
internal interface IExitCode
{
    void Set(int code);
}

internal sealed class EnvironmentExitCode : IExitCode
{
    public static readonly EnvironmentExitCode Instance = new();

    public void Set(int code) => Environment.ExitCode = code;
}
