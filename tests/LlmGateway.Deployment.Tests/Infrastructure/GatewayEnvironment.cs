using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>
/// Checks a container's environment variables against the host: every <c>LlmGateway__*</c> variable goes through the
/// gateway's own start-up validation (the strict binding that names an unknown key by its full path, and every other
/// rule), exactly as the host would read it; any other name must be one the host reads.
/// </summary>
internal static class GatewayEnvironment
{
    public const string Prefix = "LlmGateway__";

    /// <summary>Variables the host reads besides its <c>LlmGateway__*</c> configuration.</summary>
    private static readonly HashSet<string> HostVariables = new(StringComparer.Ordinal)
    {
        // The environment fallbacks of LlmGateway.Core (docs/configuration.md, "Provider keys from the environment").
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY",
        // ASP.NET Core and .NET.
        "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "URLS", "DOTNET_USE_POLLING_FILE_WATCHER",
        // The host's OpenTelemetry (docs/telemetry.md).
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME",
    };

    /// <summary>Prefixes of configuration sections the host reads that are not the gateway's (logging).</summary>
    private static readonly string[] HostPrefixes = ["Logging__"];

    /// <summary>
    /// What is wrong with <paramref name="environment"/>, each problem naming <paramref name="source"/>; empty when
    /// nothing is. <paramref name="helpers"/> are variables that exist only to be referenced by others (Kubernetes'
    /// <c>$(NAME)</c>), which the host never reads itself.
    /// </summary>
    /// <param name="source">What the environment belongs to (a file, a service).</param>
    /// <param name="environment">The variables, by name.</param>
    /// <param name="helpers">Variables only referenced by others.</param>
    /// <param name="origins">Where each variable is set, when not in <paramref name="source"/> itself: named in its
    /// problems.</param>
    public static List<string> Problems(string source, IReadOnlyDictionary<string, string?> environment, IEnumerable<string>? helpers = null, IReadOnlyDictionary<string, string>? origins = null)
    {
        var helperNames = new HashSet<string>(helpers ?? [], StringComparer.Ordinal);
        var problems = new List<string>();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                // ASP.NET Core's environment variable provider: '__' separates sections.
                settings[name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] = value;
            }
            else if (!HostVariables.Contains(name) && !helperNames.Contains(name)
                && !HostPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                problems.Add($"{source}: {name}{Origin(name)} is not a variable the host reads (LlmGateway__<key>, a provider key variable or an ASP.NET Core/OpenTelemetry setting).");
            }
        }

        foreach (var error in Validate(settings))
        {
            // Name the variables the error is about (its key, e.g. LlmGateway:Cache:Enabeld, is the variable's name
            // with ':' for '__') and where they are set.
            var names = environment.Keys
                .Where(n => n.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                    && error.Contains(n.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
                .Select(n => n + Origin(n));
            var where = string.Join(", ", names);
            problems.Add(where.Length == 0 ? $"{source}: {error}" : $"{source}: {error} [{where}]");
        }

        return problems;

        string Origin(string name) => origins?.TryGetValue(name, out var origin) == true ? $" (set in {origin})" : "";
    }

    /// <summary>The gateway's own start-up validation of these settings (keys like <c>LlmGateway:Auth:Mode</c>).</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI().AddGemini().AddRedis();
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (InvalidOperationException ex)
        {
            return [ex.Message]; // a value the binder cannot convert ("Failed to convert configuration value at ...")
        }
    }

    /// <summary>
    /// The gateway's options these settings give (defaults for what they leave out); the defaults alone when a value
    /// cannot be read, which <see cref="Problems"/> reports.
    /// </summary>
    public static LlmGatewayOptions Options(IReadOnlyDictionary<string, string?> environment)
    {
        var settings = environment.Where(static e => e.Key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(static e => e.Key.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), static e => e.Value, StringComparer.OrdinalIgnoreCase);
        var options = new LlmGatewayOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(LlmGatewayOptions.SectionName).Bind(options);
            return options;
        }
        catch (InvalidOperationException)
        {
            return new LlmGatewayOptions();
        }
    }
}
