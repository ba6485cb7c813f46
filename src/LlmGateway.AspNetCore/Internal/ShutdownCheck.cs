using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Starts the shutdown clock (<see cref="ILlmGatewayRuntime.ShutdownDrainExpired"/>) with the app, so the drain is counted from the moment
/// stopping begins even if no request has come yet, and warns when the host would give up on its connections before
/// the drain is over: <c>HostOptions.ShutdownTimeout</c> (30 s by default) must exceed
/// <c>LlmGateway:ShutdownDrainTimeout</c>, or the final error event never reaches the clients.
/// </summary>
internal static class ShutdownCheck
{
    public static void Register(IServiceProvider services)
    {
        var lifetime = services.GetService<IHostApplicationLifetime>();
        if (lifetime is null)
        {
            return;
        }

        // After start-up validation: a bad configuration is reported by it, not by this check.
        lifetime.ApplicationStarted.Register(() => Check(services));
    }

    private static void Check(IServiceProvider services)
    {
        var drainTimeout = services.GetRequiredService<ILlmGatewayRuntime>().ShutdownDrainTimeout;
        var shutdownTimeout = services.GetService<IOptions<HostOptions>>()?.Value.ShutdownTimeout ?? Timeout.InfiniteTimeSpan;
        if (shutdownTimeout != Timeout.InfiniteTimeSpan && shutdownTimeout <= drainTimeout)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.AspNetCore").ShutdownTimeoutTooShort(shutdownTimeout, drainTimeout);
        }
    }
}
