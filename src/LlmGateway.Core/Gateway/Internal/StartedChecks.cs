using Microsoft.Extensions.Hosting;

namespace LlmGateway.Internal;

/// <summary>
/// Checks that run once the host has started its services, the server included (so its addresses are bound), and
/// that refuse the start by throwing: the exception comes out of the host's <c>StartAsync</c> (and <c>Run</c>), so the
/// app decides what to do about it, where an <see cref="IHostApplicationLifetime.ApplicationStarted"/> callback's
/// exception would be swallowed. Without a host (the in-process client) nothing runs them.
/// </summary>
internal sealed class StartedChecks : IHostedLifecycleService
{
    private readonly Lock _gate = new();
    private readonly List<Action> _checks = [];

    /// <summary>Adds a check; it throws to refuse the start.</summary>
    public void Add(Action check)
    {
        lock (_gate)
        {
            _checks.Add(check);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        Action[] checks;
        lock (_gate)
        {
            checks = [.. _checks];
        }

        foreach (var check in checks)
        {
            check();
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
