using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Internal;

/// <summary>A stage added with <c>Use</c>, in registration order: a factory of the stage around the rest of the
/// pipeline, given the application's services.</summary>
internal sealed class GatewayStage(Func<IServiceProvider, Func<GatewayRequestDelegate, GatewayRequestDelegate>> create)
{
    private readonly Func<IServiceProvider, Func<GatewayRequestDelegate, GatewayRequestDelegate>> _create = create;

    public static GatewayStage Of<TMiddleware>()
        where TMiddleware : class, ILlmGatewayMiddleware =>
        new(static services =>
        {
            var middleware = ActivatorUtilities.GetServiceOrCreateInstance<TMiddleware>(services);
            return next => context => middleware.InvokeAsync(context, next);
        });

    /// <summary>Chains the stages once: the first registered runs first; null when there are none.</summary>
    public static GatewayRequestDelegate? Chain(IEnumerable<GatewayStage> stages, IServiceProvider services, GatewayRequestDelegate last)
    {
        var list = stages as IReadOnlyList<GatewayStage> ?? [.. stages];
        if (list.Count == 0)
        {
            return null;
        }

        var next = last;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            next = list[i]._create(services)(next) ?? throw new InvalidOperationException("A gateway stage factory returned null.");
        }

        return next;
    }
}
