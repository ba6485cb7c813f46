using System.Text.RegularExpressions;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests.Checks;

/// <summary>The repository's Dockerfile against the host: what it builds, runs, exposes and probes.</summary>
internal static partial class DockerfileCheck
{
    public const string File = "Dockerfile";
    public const string LivePath = "/health/live";

    public static Dockerfile Parse(DeploymentFiles files) => Dockerfile.Parse(files.Read(File));

    /// <summary>The image's environment (the final stage's ENV).</summary>
    public static IReadOnlyDictionary<string, string?> Environment(DeploymentFiles files) =>
        Parse(files).Final.Environment.ToDictionary(static e => e.Key, static e => (string?)e.Value, StringComparer.Ordinal);

    /// <summary>The port the image's host listens on: its ASPNETCORE_HTTP_PORTS.</summary>
    public static int HttpPort(DeploymentFiles files) =>
        Environment(files).GetValueOrDefault("ASPNETCORE_HTTP_PORTS") is { } ports && int.TryParse(ports.Split(';', ',')[0], out var port)
            ? port
            : throw new InvalidOperationException("The Dockerfile sets no ASPNETCORE_HTTP_PORTS.");

    /// <summary>The repository file the HEALTHCHECK runs (copied into the image), or null.</summary>
    public static string? HealthCheckScript(DeploymentFiles files)
    {
        var final = Parse(files).Final;
        if (final.Last("HEALTHCHECK") is not { } healthCheck)
        {
            return null;
        }

        var cmd = healthCheck.Arguments.IndexOf("CMD ", StringComparison.Ordinal);
        if (cmd < 0)
        {
            return null;
        }

        var command = Dockerfile.Command(healthCheck.Arguments[(cmd + 4)..].Trim());
        var program = command.Count > 0 ? command[0] : "";
        foreach (var (flags, sources, destination) in final.Copies())
        {
            if (flags.Any(static f => f.StartsWith("--from=", StringComparison.Ordinal)) || sources.Count != 1)
            {
                continue;
            }

            if (destination == program || destination == "/usr/local/bin/" + program || destination == "/usr/bin/" + program)
            {
                return sources[0];
            }
        }

        return null;
    }

    public static List<string> Problems(DeploymentFiles files)
    {
        var problems = new List<string>();
        var dockerfile = Parse(files);
        var final = dockerfile.Final;
        var environment = Environment(files);

        // Build: the SDK publishes the thin host in Release.
        var publishes = dockerfile.Stages.Any(static s => s.BaseImage.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", StringComparison.Ordinal)
            && s.All("RUN").Any(static r => r.Arguments.Contains("dotnet publish samples/LlmGateway.Server", StringComparison.Ordinal) && r.Arguments.Contains("-c Release", StringComparison.Ordinal)));
        if (!publishes)
        {
            problems.Add($"{File}: no stage FROM mcr.microsoft.com/dotnet/sdk:10.0 runs 'dotnet publish samples/LlmGateway.Server -c Release'.");
        }

        if (!final.BaseImage.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", StringComparison.Ordinal))
        {
            problems.Add($"{File}: the final stage is FROM {final.BaseImage}, not the ASP.NET Core runtime image mcr.microsoft.com/dotnet/aspnet:10.0.");
        }

        if (final.Last("ENTRYPOINT") is not { } entrypoint || Dockerfile.Command(entrypoint.Arguments) is not ["dotnet", "LlmGateway.Server.dll"])
        {
            problems.Add($"{File}: the ENTRYPOINT is not [\"dotnet\", \"LlmGateway.Server.dll\"].");
        }

        // A non-root user: by id (APP_UID) or a name other than root.
        var user = final.Last("USER")?.Arguments.Split(':')[0].Trim();
        if (user is null or "" or "root" or "0")
        {
            problems.Add($"{File}: the final stage runs as {(string.IsNullOrEmpty(user) ? "root (no USER)" : user)}; it must name a non-root user (USER $APP_UID).");
        }

        // The port: what Kestrel listens on is what is exposed.
        var ports = environment.GetValueOrDefault("ASPNETCORE_HTTP_PORTS");
        var exposed = final.All("EXPOSE").SelectMany(static e => Dockerfile.Words(e.Arguments)).Select(static p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        if (ports is null)
        {
            problems.Add($"{File}: ASPNETCORE_HTTP_PORTS is not set.");
        }
        else if (!ports.Split(';', ',').ToHashSet(StringComparer.Ordinal).SetEquals(exposed))
        {
            problems.Add($"{File}: EXPOSE {string.Join(' ', exposed)} is not ASPNETCORE_HTTP_PORTS={ports}.");
        }

        // The host's appsettings.json sets Urls (loopback, port 5080), which outranks ASPNETCORE_HTTP_PORTS.
        if (!environment.TryGetValue("URLS", out var urls) || !string.IsNullOrEmpty(urls))
        {
            problems.Add($"{File}: URLS must be set to empty, or the host's appsettings.json Urls (http://localhost:5080) wins over ASPNETCORE_HTTP_PORTS.");
        }

        // Mode None serves loopback only and stops a host that listens elsewhere, as a container's does.
        var options = GatewayEnvironment.Options(environment);
        if (!environment.Keys.Any(static k => string.Equals(k, "LlmGateway__Auth__Mode", StringComparison.OrdinalIgnoreCase))
            || options.Auth.Mode == GatewayAuthMode.None && !options.Auth.AllowNoneBeyondLoopback)
        {
            problems.Add($"{File}: LlmGateway__Auth__Mode must be set to a mode other than None (the host's appsettings.json sets None, which stops a host listening beyond loopback).");
        }

        problems.AddRange(GatewayEnvironment.Problems(File, environment));

        // The HEALTHCHECK: a script from the repository that GETs /health/live on ASPNETCORE_HTTP_PORTS.
        if (HealthCheckScript(files) is not { } script)
        {
            problems.Add($"{File}: no HEALTHCHECK running a script COPY'd from the repository.");
        }
        else if (!files.Exists(script))
        {
            problems.Add($"{File}: the HEALTHCHECK's script {script} does not exist.");
        }
        else
        {
            var text = files.Read(script);
            var path = HealthPath().Match(text);
            if (!path.Success || path.Groups[1].Value != LivePath)
            {
                problems.Add($"{script}: does not GET {LivePath} (found {(path.Success ? path.Groups[1].Value : "no GET")}).");
            }

            if (!text.Contains("ASPNETCORE_HTTP_PORTS", StringComparison.Ordinal))
            {
                problems.Add($"{script}: does not take its port from ASPNETCORE_HTTP_PORTS.");
            }
        }

        return problems;
    }

    [GeneratedRegex(@"GET (\S+) HTTP/1\.1")]
    private static partial Regex HealthPath();
}
