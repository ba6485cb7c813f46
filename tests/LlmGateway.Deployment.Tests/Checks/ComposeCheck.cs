using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests.Checks;

/// <summary>docker-compose.yml (with .env.example and deploy/nginx.conf) against the host and the Dockerfile.</summary>
internal static class ComposeCheck
{
    public const string File = "docker-compose.yml";
    public const string EnvExample = ".env.example";
    public const string NginxConfig = "deploy/nginx.conf";

    /// <summary>The compose services that run the gateway image (built from the Dockerfile).</summary>
    public static IReadOnlyList<string> GatewayServices(object? compose) =>
        [.. compose.Map("services").Where(static s => s.Value.At("build") is not null).Select(static s => s.Key).Order(StringComparer.Ordinal)];

    /// <summary>A gateway service's environment as the container gets it: the compose file's values interpolated
    /// from .env.example, on top of the image's own environment.</summary>
    public static Dictionary<string, string?> ContainerEnvironment(DeploymentFiles files, string service, List<string> problems)
    {
        var compose = Yaml.Document(files.Read(File));
        var variables = Compose.EnvFile(files.Read(EnvExample));
        var environment = new Dictionary<string, string?>(DockerfileCheck.Environment(files), StringComparer.Ordinal);
        foreach (var (name, value) in Compose.Environment(compose.At("services", service)))
        {
            environment[name] = value is null ? null : Compose.Interpolate(value, variables, problems, $"{File} services.{service}.environment.{name}");
        }

        return environment;
    }

    public static List<string> Problems(DeploymentFiles files)
    {
        var problems = new List<string>();
        var text = files.Read(File);
        var compose = Yaml.Document(text);
        var services = compose.Map("services");

        // Every variable the file interpolates has an entry in .env.example, and the example sets none it does not use.
        var example = Compose.EnvFile(files.Read(EnvExample));
        var referenced = Compose.Referenced(text).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(referenced.Where(v => !example.ContainsKey(v)).Select(v => $"{File}: ${{{v}}} has no entry in {EnvExample}."));
        problems.AddRange(example.Keys.Where(v => !referenced.Contains(v)).Select(v => $"{EnvExample}: {v} is not used by {File}."));

        var redis = services.Where(static s => s.Value.Text("image")?.StartsWith("redis:", StringComparison.Ordinal) == true).Select(static s => s.Key).ToList();
        var nginx = services.Where(static s => s.Value.Text("image")?.StartsWith("nginx:", StringComparison.Ordinal) == true).Select(static s => s.Key).ToList();
        var gateways = GatewayServices(compose);
        if (redis is not [var redisService] || nginx is not [var nginxService] || gateways.Count < 2)
        {
            problems.Add($"{File}: expected one redis service, one nginx service and at least two gateway services (built from the Dockerfile); found redis [{string.Join(", ", redis)}], nginx [{string.Join(", ", nginx)}], gateways [{string.Join(", ", gateways)}].");
            return problems;
        }

        // Redis: append-only persistence on a volume (keys created through the admin API live only there).
        var command = services[redisService].At("command") switch
        {
            List<object?> list => string.Join(' ', list.OfType<string>()),
            string s => s,
            _ => "",
        };
        if (!command.Contains("--appendonly yes", StringComparison.Ordinal))
        {
            problems.Add($"{File}: services.{redisService} does not run redis-server with --appendonly yes.");
        }

        if (!services[redisService].List("volumes").OfType<string>().Any(static v => v.EndsWith(":/data", StringComparison.Ordinal)))
        {
            problems.Add($"{File}: services.{redisService} keeps no volume at /data, so its append-only file dies with the container.");
        }

        // Each gateway: a valid configuration, the shared Redis, time to drain.
        var upstreamPorts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var gateway in gateways)
        {
            var where = $"{File} services.{gateway}";
            var environment = ContainerEnvironment(files, gateway, problems);
            var origins = DockerfileCheck.Environment(files).Keys.Where(k => !Compose.Environment(services[gateway]).ContainsKey(k))
                .ToDictionary(static k => k, static _ => DockerfileCheck.File, StringComparer.Ordinal);
            problems.AddRange(GatewayEnvironment.Problems(where, environment, origins: origins));
            var options = GatewayEnvironment.Options(environment);
            if (options.Auth.Mode == GatewayAuthMode.None && !options.Auth.AllowNoneBeyondLoopback)
            {
                problems.Add($"{where}: auth mode None stops a host that listens beyond loopback.");
            }

            if (options.Redis?.Split(',')[0] != $"{redisService}:6379")
            {
                problems.Add($"{where}: LlmGateway__Redis is '{options.Redis}', not the compose Redis ({redisService}:6379): the instances would not share keys, limits and cache.");
            }

            var grace = services[gateway].Text("stop_grace_period") is { } period ? Compose.Duration(period) : TimeSpan.FromSeconds(10);
            var needed = options.ShutdownDrainTimeout + TimeSpan.FromSeconds(10);
            if (grace <= needed)
            {
                problems.Add($"{where}: stop_grace_period {grace.TotalSeconds} s is not longer than LlmGateway:ShutdownDrainTimeout plus the host's 10 s margin ({needed.TotalSeconds} s).");
            }

            upstreamPorts[gateway] = int.Parse(environment["ASPNETCORE_HTTP_PORTS"]!.Split(';', ',')[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        problems.AddRange(NginxProblems(files, services[nginxService], nginxService, upstreamPorts, ContainerEnvironment(files, gateways[0], [])));
        return problems;
    }

    private static List<string> NginxProblems(DeploymentFiles files, object? service, string name, Dictionary<string, int> gateways, Dictionary<string, string?> gatewayEnvironment)
    {
        var problems = new List<string>();
        var where = $"{File} services.{name}";
        var mounted = service.List("volumes").OfType<string>().Any(static v => v.StartsWith("./" + NginxConfig + ":/etc/nginx/nginx.conf", StringComparison.Ordinal));
        if (!mounted)
        {
            problems.Add($"{where}: does not mount ./{NginxConfig} as /etc/nginx/nginx.conf.");
        }

        var config = Nginx.Parse(files.Read(NginxConfig));
        var listen = Nginx.Find(config, "listen").Select(static l => l.Arguments[0].Split(':')[^1]).ToHashSet(StringComparer.Ordinal);
        foreach (var published in service.List("ports").OfType<string>())
        {
            var containerPort = published.Split(':')[^1].Split('/')[0];
            if (!listen.Contains(containerPort))
            {
                problems.Add($"{where}: publishes container port {containerPort}, but nginx listens on {string.Join(", ", listen)}.");
            }
        }

        // The upstream: exactly the gateway services, each on the port its host listens on.
        var upstreams = Nginx.Find(config, "upstream").ToList();
        var servers = upstreams.SelectMany(static u => u.Find("server")).Select(static s => s.Arguments[0]).ToHashSet(StringComparer.Ordinal);
        var expected = gateways.Select(static g => $"{g.Key}:{g.Value}").ToHashSet(StringComparer.Ordinal);
        if (!servers.SetEquals(expected))
        {
            problems.Add($"{NginxConfig}: the upstream servers are [{string.Join(", ", servers.Order(StringComparer.Ordinal))}], not the gateway services on their ports [{string.Join(", ", expected.Order(StringComparer.Ordinal))}].");
        }

        if (!upstreams.Any(static u => u.Find("keepalive").Any()))
        {
            problems.Add($"{NginxConfig}: the upstream keeps no connections alive (keepalive).");
        }

        var proxied = Nginx.Find(config, "location").Where(static l => l.Find("proxy_pass").Any()).ToList();
        if (proxied.Count == 0)
        {
            problems.Add($"{NginxConfig}: no location proxies to the gateways.");
        }

        var options = GatewayEnvironment.Options(gatewayEnvironment);
        var longestWait = options.RequestTimeout > options.StreamIdleTimeout ? options.RequestTimeout : options.StreamIdleTimeout;
        foreach (var location in proxied)
        {
            var at = $"{NginxConfig} location {string.Join(' ', location.Arguments)}";
            Expect(location, "proxy_http_version", "1.1", at, "HTTP/1.1 to the upstream (keepalive needs it)", problems);
            Expect(location, "proxy_buffering", "off", at, "streams must pass event by event", problems);
            if (!location.Find("proxy_set_header").Any(static h => h.Arguments is ["Connection", ""]))
            {
                problems.Add($"{at}: does not clear the Connection header (proxy_set_header Connection \"\"), so upstream connections are not reused.");
            }

            var read = location.Find("proxy_read_timeout").Select(static d => Nginx.Time(d.Arguments[0])).DefaultIfEmpty(TimeSpan.FromSeconds(60)).Last();
            if (read <= longestWait)
            {
                problems.Add($"{at}: proxy_read_timeout {read.TotalSeconds} s is not longer than the gateway's RequestTimeout/StreamIdleTimeout ({longestWait.TotalSeconds} s).");
            }
        }

        var bodySize = Nginx.Find(config, "client_max_body_size").Select(static d => Nginx.Size(d.Arguments[0])).DefaultIfEmpty(1024 * 1024).Last();
        if (bodySize != 0 && bodySize < options.MaxRequestBodySize)
        {
            problems.Add($"{NginxConfig}: client_max_body_size ({bodySize} bytes) is below LlmGateway:MaxRequestBodySize ({options.MaxRequestBodySize}).");
        }

        return problems;
    }

    private static void Expect(NginxDirective location, string directive, string value, string where, string why, List<string> problems)
    {
        var found = location.Find(directive).Select(static d => d.Arguments[0]).LastOrDefault();
        if (found != value)
        {
            problems.Add($"{where}: {directive} is {found ?? "not set"}, not {value} ({why}).");
        }
    }
}
