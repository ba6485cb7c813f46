namespace LlmGateway.Internal;

/// <summary>The <see cref="ILlmGatewayRuntime"/> of a service provider: a view of its route table, shutdown drain and
/// started checks.</summary>
internal sealed class GatewayRuntime(RouteTableProvider routes, ShutdownDrain drain, StartedChecks checks) : ILlmGatewayRuntime
{
    public LlmGatewayOptions Options => routes.Current.Options;

    public TimeSpan ShutdownDrainTimeout => drain.DrainTimeout;

    public CancellationToken ShutdownDrainExpired => drain.Expired;

    public ILlmProvider? GetProvider(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return routes.Current.GetProvider(name);
    }

    public void AddStartedCheck(Action check)
    {
        ArgumentNullException.ThrowIfNull(check);
        checks.Add(check);
    }
}
