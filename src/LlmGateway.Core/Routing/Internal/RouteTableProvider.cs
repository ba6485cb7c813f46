using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace LlmGateway.Internal;

/// <summary>
/// Owns the current <see cref="RouteTable"/>. It builds the first one when first asked (start-up validation runs
/// before that in a host) and a new one on every configuration change; an invalid change is logged and the last good
/// table stays in force.
/// </summary>
/// <remarks>
/// It reads options through <see cref="IOptionsFactory{TOptions}"/>, not <see cref="IOptionsMonitor{TOptions}"/>:
/// the monitor's own change callback throws for an invalid reload and would leave its cache empty, so a hot path
/// reading <c>CurrentValue</c> would start throwing. Each request reads only the swapped-in snapshot.
/// </remarks>
internal sealed class RouteTableProvider : IDisposable
{
    private readonly IOptionsFactory<LlmGatewayOptions> _optionsFactory;
    private readonly IEnumerable<ILlmProviderFactory> _factories;
    private readonly IEnumerable<IRoutingStrategy> _strategies;
    private readonly TargetStates _states;
    private readonly ILogger<RouteTableProvider> _logger;
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _buildLock = new();
    private RouteTable? _current;

    public RouteTableProvider(
        IOptionsFactory<LlmGatewayOptions> optionsFactory,
        IEnumerable<IOptionsChangeTokenSource<LlmGatewayOptions>> changeSources,
        IEnumerable<ILlmProviderFactory> factories,
        IEnumerable<IRoutingStrategy> strategies,
        TargetStates states,
        ILogger<RouteTableProvider> logger)
    {
        _states = states;
        _optionsFactory = optionsFactory;
        _factories = factories;
        _strategies = strategies;
        _logger = logger;
        foreach (var source in changeSources)
        {
            if (source.Name == Options.DefaultName)
            {
                _registrations.Add(ChangeToken.OnChange(source.GetChangeToken, Reload));
            }
        }
    }

    public event Action<RouteTable>? Changed;

    public RouteTable Current
    {
        get
        {
            var table = Volatile.Read(ref _current);
            if (table is not null)
            {
                return table;
            }

            lock (_buildLock)
            {
                // The first build throws OptionsValidationException for a bad configuration: that is a
                // configuration bug, and a host has already refused to start for it (ValidateOnStart).
                _current ??= Build(_optionsFactory.Create(Options.DefaultName));
                return _current;
            }
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void Reload()
    {
        try
        {
            var table = Build(_optionsFactory.Create(Options.DefaultName));
            Volatile.Write(ref _current, table);
            _logger.ConfigurationReloaded(table.Providers.Count);
            Changed?.Invoke(table);
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or FormatException)
        {
            _logger.ConfigurationReloadRejected(ex.Message);
        }
    }

    private RouteTable Build(LlmGatewayOptions options)
    {
        var providers = new List<ILlmProvider>(options.Providers.Count);
        foreach (var (name, settings) in options.Providers)
        {
            var factory = _factories.First(f => string.Equals(f.Type, settings.Type, StringComparison.OrdinalIgnoreCase));
            providers.Add(factory.Create(name, settings, options));
        }

        return new RouteTable(options, providers, _strategies, _states);
    }
}
