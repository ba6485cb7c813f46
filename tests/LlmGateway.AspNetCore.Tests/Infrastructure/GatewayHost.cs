using LlmGateway.Internal;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmGateway.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The thin host (samples/LlmGateway.Server) with its configuration pointed at a test upstream. The machine's
/// environment variables are hidden from it, so OPENAI_API_KEY on a developer's machine cannot change a result.
/// </summary>
internal sealed class GatewayHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly string? _dataDirectory;
    private bool _kestrel;

    /// <summary>Gets or sets more configuration sources, added after the test's settings (so they win): a JSON file a
    /// test rewrites to see a reload, say.</summary>
    public Action<IConfigurationBuilder>? ConfigureConfiguration { get; init; }

    /// <summary>Gets or sets the address Kestrel listens on (a free loopback port unless a test needs another).</summary>
    public string ListenUrl { get; init; } = "http://127.0.0.1:0";

    public GatewayHost(string? openAIBaseUrl, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (openAIBaseUrl is not null)
        {
            _settings["LlmGateway:Providers:openai:BaseUrl"] = openAIBaseUrl;
            _settings["LlmGateway:Providers:openai:ApiKey"] = TestKeys.Upstream;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _configureServices = configureServices;

        // The host keeps keys and usage in a SQLite file in its data directory: each host gets its own, unless the test
        // names one (to restart a host on the same file).
        if (!_settings.ContainsKey("LlmGateway:DataDirectory") && !_settings.ContainsKey("LlmGateway:Database:ConnectionString"))
        {
            _dataDirectory = Directory.CreateTempSubdirectory("llmgateway-host-").FullName;
            _settings["LlmGateway:DataDirectory"] = _dataDirectory;
        }
    }

    /// <summary>Starts the host on Kestrel on a free loopback port and returns its base address.</summary>
    /// <remarks>
    /// The port is chosen through the URL setting, not <c>UseKestrel(port)</c>: that one rewrites the server's
    /// addresses after the host is built, racing the thin host's own <c>app.Run()</c>, which may have started the
    /// server already.
    /// </remarks>
    public Uri StartKestrel()
    {
        _kestrel = true;
        UseKestrel();
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    /// <remarks>Built under <see cref="HostBuildGate"/>; see there why.</remarks>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        lock (HostBuildGate.Gate)
        {
            return base.CreateHost(builder);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        if (_kestrel)
        {
            builder.UseSetting(WebHostDefaults.ServerUrlsKey, ListenUrl);
        }

        builder.ConfigureAppConfiguration((_, config) =>
        {
            config.AddInMemoryCollection(_settings);
            ConfigureConfiguration?.Invoke(config);
        });
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IEnvironmentVariables>(new NoEnvironmentVariables());
            _configureServices?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _dataDirectory is not null)
        {
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder: left for the system to clean.
            }
        }
    }

    private sealed class NoEnvironmentVariables : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}

internal static class TestKeys
{
    /// <summary>A made-up upstream key; it only has to reach the stand-in upstream unchanged.</summary>
    public const string Upstream = "test-upstream-key";
}
