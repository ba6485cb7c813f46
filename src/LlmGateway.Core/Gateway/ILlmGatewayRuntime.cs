namespace LlmGateway;

/// <summary>
/// What a server integration (such as LlmGateway.AspNetCore) needs of the running gateway beyond
/// <see cref="ILlmGateway"/>: the configuration in force, the shutdown drain, and a way to refuse the host's start.
/// Resolved from the service provider that <c>AddLlmGateway</c> configured.
/// </summary>
public interface ILlmGatewayRuntime
{
    /// <summary>Gets the options in force: the last configuration that passed validation (a reload that fails
    /// validation leaves them as they were).</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The configuration has never been
    /// valid.</exception>
    LlmGatewayOptions Options { get; }

    /// <summary>Gets the drain time in force: the one the shutdown began with once the host is stopping, else
    /// <see cref="LlmGatewayOptions.ShutdownDrainTimeout"/>.</summary>
    TimeSpan ShutdownDrainTimeout { get; }

    /// <summary>Gets a token that fires when the host is stopping and <see cref="ShutdownDrainTimeout"/> has passed
    /// since it began to: the requests and streams still running then should end with a
    /// <see cref="GatewayErrorKind.ServerShuttingDown"/> error. Without a host it never fires.</summary>
    CancellationToken ShutdownDrainExpired { get; }

    /// <summary>Gets the configured provider instance of that name (case-insensitive), or null.</summary>
    /// <param name="name">The instance's name, as configured under <c>LlmGateway:Providers</c>.</param>
    /// <returns>The instance, whose <see cref="ILlmProvider.Name"/> is the configured spelling; or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    ILlmProvider? GetProvider(string name);

    /// <summary>Adds a check that runs once the host has started its services, the server included (so its
    /// addresses are bound); a check refuses the start by throwing, and the exception comes out of the host's
    /// <c>StartAsync</c> (and <c>Run</c>). Without a host, checks never run.</summary>
    /// <param name="check">The check.</param>
    /// <exception cref="ArgumentNullException"><paramref name="check"/> is null.</exception>
    void AddStartedCheck(Action check);
}
