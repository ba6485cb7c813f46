namespace LlmGateway.Internal;

/// <summary><see cref="ILlmProviderResolver"/> over the current route table.</summary>
internal sealed class LlmProviderResolver(RouteTableProvider routes) : ILlmProviderResolver
{
    public ILlmProvider? GetProvider(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return routes.Current.GetProvider(name);
    }
}
