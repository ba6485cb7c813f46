using System.Globalization;
using System.Text.RegularExpressions;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests.Checks;

/// <summary>One Kubernetes object of k8s/: the file it is in and its YAML.</summary>
internal sealed record KubernetesObject(string File, string Kind, string Name, object? Yaml);

/// <summary>The manifests in k8s/ against the host, the Dockerfile and each other.</summary>
internal static partial class KubernetesCheck
{
    public const string Folder = "k8s";
    public const string SecretExample = "k8s/secret.example.yaml";
    public const string Kustomization = "k8s/kustomization.yaml";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>The host's margin: the thin host's shutdown timeout is the drain plus 10 s (Program.cs).</summary>
    private static readonly TimeSpan HostShutdownMargin = TimeSpan.FromSeconds(10);

    public static IReadOnlyList<KubernetesObject> Objects(DeploymentFiles files) =>
        [.. DeploymentFiles.List(Folder, "*.yaml").Where(static f => f != Kustomization)
            .SelectMany(f => Yaml.Documents(files.Read(f)).Where(static d => d is not null)
                .Select(d => new KubernetesObject(f, d.Text("kind") ?? "", d.Text("metadata", "name") ?? "", d)))];

    public static KubernetesObject? Find(IEnumerable<KubernetesObject> objects, string kind, string? name = null) =>
        objects.FirstOrDefault(o => o.Kind == kind && (name is null || o.Name == name));

    /// <summary>The gateway Deployment: the one whose pods run the image built from the Dockerfile.</summary>
    public static KubernetesObject? GatewayDeployment(IEnumerable<KubernetesObject> objects) =>
        objects.FirstOrDefault(static o => o.Kind == "Deployment" && GatewayContainer(o) is not null);

    public static object? GatewayContainer(KubernetesObject deployment) =>
        deployment.Yaml.List("spec", "template", "spec", "containers").FirstOrDefault(static c => c.Text("image")?.StartsWith("llmgateway", StringComparison.Ordinal) == true);

    /// <summary>
    /// The gateway container's environment as the pod gets it: the ConfigMaps and Secrets of <c>envFrom</c> (Secrets
    /// from secret.example.yaml's placeholders), then <c>env</c> (secret references resolved the same way, and
    /// <c>$(NAME)</c> expanded as the kubelet does), on top of the image's environment.
    /// </summary>
    public static Dictionary<string, string?> ContainerEnvironment(DeploymentFiles files, IReadOnlyList<KubernetesObject> objects, List<string> problems, out HashSet<string> helpers) =>
        ContainerEnvironment(files, objects, problems, out helpers, out _);

    /// <summary>The same, with where each variable is set (a file of k8s/, or the Dockerfile).</summary>
    public static Dictionary<string, string?> ContainerEnvironment(DeploymentFiles files, IReadOnlyList<KubernetesObject> objects, List<string> problems, out HashSet<string> helpers, out Dictionary<string, string> origins)
    {
        var origin = DockerfileCheck.Environment(files).Keys.ToDictionary(static k => k, static _ => DockerfileCheck.File, StringComparer.Ordinal);
        origins = origin;
        var environment = new Dictionary<string, string?>(DockerfileCheck.Environment(files), StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        helpers = referenced;
        var declared = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (GatewayDeployment(objects) is not { } deployment || GatewayContainer(deployment) is not { } container)
        {
            problems.Add($"{Folder}: no Deployment runs the gateway image (llmgateway).");
            return environment;
        }

        foreach (var source in container.List("envFrom"))
        {
            if (source.Text("configMapRef", "name") is { } configMap)
            {
                Add(Find(objects, "ConfigMap", configMap), "data", $"ConfigMap {configMap}");
            }
            else if (source.Text("secretRef", "name") is { } secret)
            {
                Add(Find(objects, "Secret", secret), "stringData", $"Secret {secret}");
            }
        }

        foreach (var variable in container.List("env"))
        {
            var name = variable.Text("name")!;
            origin[name] = deployment.File;
            if (variable.Text("value") is { } value)
            {
                declared[name] = value;
            }
            else if (variable.At("valueFrom", "secretKeyRef") is { } reference)
            {
                var secret = Find(objects, "Secret", reference.Text("name")!);
                declared[name] = secret?.Yaml.Text("stringData", reference.Text("key")!);
                if (declared[name] is null)
                {
                    problems.Add($"{deployment.File}: env {name} refers to secret {reference.Text("name")} key {reference.Text("key")}, which {SecretExample} does not have.");
                }
            }
        }

        // $(NAME) refers to a variable defined earlier: expand it, and the variables only used that way are helpers.
        foreach (var (name, value) in declared)
        {
            environment[name] = value is null ? null : Reference().Replace(value, m =>
            {
                referenced.Add(m.Groups[1].Value);
                return environment.GetValueOrDefault(m.Groups[1].Value) ?? m.Value;
            });
        }

        return environment;

        void Add(KubernetesObject? source, string field, string what)
        {
            if (source is null)
            {
                problems.Add($"{deployment.File}: envFrom names {what}, which k8s/ does not define.");
                return;
            }

            foreach (var (name, value) in source.Yaml.Map(field))
            {
                environment[name] = value as string;
                origin[name] = source.File;
            }
        }
    }

    public static List<string> Problems(DeploymentFiles files)
    {
        var problems = new List<string>();
        var objects = Objects(files);

        // kustomization.yaml applies every manifest but the secret example.
        var kustomized = Yaml.Document(files.Read(Kustomization)).List("resources").OfType<string>().Select(static r => $"{Folder}/{r}").ToHashSet(StringComparer.Ordinal);
        var manifests = DeploymentFiles.List(Folder, "*.yaml").Where(static f => f != Kustomization && f != SecretExample).ToHashSet(StringComparer.Ordinal);
        if (!kustomized.SetEquals(manifests))
        {
            problems.Add($"{Kustomization}: resources [{string.Join(", ", kustomized.Order(StringComparer.Ordinal))}] are not the manifests [{string.Join(", ", manifests.Order(StringComparer.Ordinal))}] (all but {SecretExample}).");
        }

        if (GatewayDeployment(objects) is not { } deployment || GatewayContainer(deployment) is not { } container)
        {
            problems.Add($"{Folder}: no Deployment runs the gateway image (llmgateway).");
            return problems;
        }

        var at = $"{deployment.File} ({deployment.Name})";
        var pod = deployment.Yaml.At("spec", "template");
        var podLabels = pod.Map("metadata", "labels").ToDictionary(static l => l.Key, static l => l.Value as string, StringComparer.Ordinal);
        if (!Matches(deployment.Yaml.Map("spec", "selector", "matchLabels"), podLabels))
        {
            problems.Add($"{at}: spec.selector does not match the pod's labels.");
        }

        // The configuration: every name is one the host reads, and the gateway accepts the whole of it.
        var environment = ContainerEnvironment(files, objects, problems, out var helpers, out var origins);
        problems.AddRange(GatewayEnvironment.Problems(at, environment, helpers, origins));
        var options = GatewayEnvironment.Options(environment);
        if (options.Auth.Mode == GatewayAuthMode.None && !options.Auth.AllowNoneBeyondLoopback)
        {
            problems.Add($"{at}: auth mode None stops a host that listens beyond loopback.");
        }

        // Ports: the container port is the one the host listens on, and the probes use it with the host's health paths.
        var httpPort = int.Parse(environment["ASPNETCORE_HTTP_PORTS"]!.Split(';', ',')[0], CultureInfo.InvariantCulture);
        var ports = container.List("ports").ToDictionary(static p => p.Text("name") ?? p.Text("containerPort")!, static p => p.Text("containerPort")!, StringComparer.Ordinal);
        if (!ports.ContainsValue(httpPort.ToString(CultureInfo.InvariantCulture)))
        {
            problems.Add($"{at}: no containerPort is the host's ASPNETCORE_HTTP_PORTS ({httpPort}); ports: {string.Join(", ", ports.Values)}.");
        }

        foreach (var (probe, path) in new[] { ("startupProbe", LivePath), ("livenessProbe", LivePath), ("readinessProbe", ReadyPath) })
        {
            var get = container.At(probe, "httpGet");
            if (get is null)
            {
                problems.Add($"{at}: no {probe} with httpGet.");
                continue;
            }

            if (get.Text("path") != path)
            {
                problems.Add($"{at}: {probe} GETs {get.Text("path")}, not {path}.");
            }

            var port = get.Text("port");
            var resolved = port is not null && ports.TryGetValue(port, out var byName) ? byName : port;
            if (resolved != httpPort.ToString(CultureInfo.InvariantCulture))
            {
                problems.Add($"{at}: {probe} uses port {port}, which is not the host's port {httpPort}.");
            }
        }

        // Security: non-root, read-only root file system with /tmp writable, no capabilities, no escalation.
        var podSecurity = pod.At("spec", "securityContext");
        var security = container.At("securityContext");
        if (security.Text("runAsNonRoot") != "true" && podSecurity.Text("runAsNonRoot") != "true")
        {
            problems.Add($"{at}: runAsNonRoot is not true.");
        }

        foreach (var (key, value) in new[] { ("readOnlyRootFilesystem", "true"), ("allowPrivilegeEscalation", "false") })
        {
            if (security.Text(key) != value)
            {
                problems.Add($"{at}: the container's securityContext.{key} is not {value}.");
            }
        }

        if (!security.List("capabilities", "drop").OfType<string>().Contains("ALL"))
        {
            problems.Add($"{at}: the container does not drop ALL capabilities.");
        }

        var tmp = container.List("volumeMounts").FirstOrDefault(static m => m.Text("mountPath") == "/tmp");
        var tmpVolume = pod.List("spec", "volumes").FirstOrDefault(v => v.Text("name") == tmp.Text("name"));
        if (tmp is null || tmpVolume.At("emptyDir") is null)
        {
            problems.Add($"{at}: with a read-only root file system, /tmp needs an emptyDir volume (the .NET runtime's diagnostics sockets).");
        }

        var resources = container.At("resources");
        if (resources.Text("requests", "cpu") is null || resources.Text("requests", "memory") is null || resources.Text("limits", "memory") is null)
        {
            problems.Add($"{at}: resources need requests (cpu, memory) and a memory limit.");
        }

        // Shutdown: the grace period outlasts the preStop pause, the stream drain and the host's margin.
        var grace = TimeSpan.FromSeconds(int.Parse(pod.Text("spec", "terminationGracePeriodSeconds") ?? "30", CultureInfo.InvariantCulture));
        var preStop = container.List("lifecycle", "preStop", "exec", "command").OfType<string>().ToList() is ["sleep", var seconds]
            ? TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture))
            : TimeSpan.Zero;
        var needed = preStop + options.ShutdownDrainTimeout + HostShutdownMargin;
        if (grace <= needed)
        {
            problems.Add($"{at}: terminationGracePeriodSeconds ({grace.TotalSeconds}) is not longer than the preStop pause, LlmGateway:ShutdownDrainTimeout and the host's 10 s margin ({needed.TotalSeconds} s).");
        }

        // The image is the one kustomization.yaml renames.
        var image = container.Text("image")!.Split(':')[0];
        if (!Yaml.Document(files.Read(Kustomization)).List("images").Any(i => i.Text("name") == image))
        {
            problems.Add($"{Kustomization}: images does not rename the Deployment's image {image}.");
        }

        problems.AddRange(ServiceProblems(objects, deployment, container, podLabels, options));
        problems.AddRange(RedisProblems(objects, options));
        return problems;
    }

    private static List<string> ServiceProblems(IReadOnlyList<KubernetesObject> objects, KubernetesObject deployment, object container, Dictionary<string, string?> podLabels, LlmGatewayOptions options)
    {
        var problems = new List<string>();
        var containerPorts = container.List("ports");
        var service = objects.FirstOrDefault(o => o.Kind == "Service" && o.Yaml.Map("spec", "selector").Count > 0 && Matches(o.Yaml.Map("spec", "selector"), podLabels));
        if (service is null)
        {
            problems.Add($"{Folder}: no Service selects the gateway's pods.");
            return problems;
        }

        foreach (var port in service.Yaml.List("spec", "ports"))
        {
            var target = port.Text("targetPort") ?? port.Text("port");
            if (!containerPorts.Any(p => p.Text("name") == target || p.Text("containerPort") == target))
            {
                problems.Add($"{service.File}: port {port.Text("name")} targets {target}, which is not a port of the gateway container.");
            }
        }

        var servicePorts = service.Yaml.List("spec", "ports");
        foreach (var ingress in objects.Where(static o => o.Kind == "Ingress"))
        {
            var backends = ingress.Yaml.List("spec", "rules").SelectMany(static r => r.List("http", "paths")).Select(static p => p.At("backend", "service")).ToList();
            foreach (var backend in backends)
            {
                var portName = backend.Text("port", "name");
                var portNumber = backend.Text("port", "number");
                if (backend.Text("name") != service.Name || !servicePorts.Any(p => portName is not null && p.Text("name") == portName || portNumber is not null && p.Text("port") == portNumber))
                {
                    problems.Add($"{ingress.File}: a backend goes to service {backend.Text("name")} port {portName ?? portNumber}, which is not a port of the gateway's Service {service.Name}.");
                }
            }

            var annotations = ingress.Yaml.Map("metadata", "annotations");
            if (annotations.GetValueOrDefault("nginx.ingress.kubernetes.io/proxy-buffering") as string != "off")
            {
                problems.Add($"{ingress.File}: nginx.ingress.kubernetes.io/proxy-buffering is not \"off\": streams would be buffered.");
            }

            var longestWait = options.RequestTimeout > options.StreamIdleTimeout ? options.RequestTimeout : options.StreamIdleTimeout;
            foreach (var timeout in new[] { "proxy-read-timeout", "proxy-send-timeout" })
            {
                var seconds = annotations.GetValueOrDefault("nginx.ingress.kubernetes.io/" + timeout) as string;
                if (seconds is null || TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture)) <= longestWait)
                {
                    problems.Add($"{ingress.File}: nginx.ingress.kubernetes.io/{timeout} ({seconds ?? "60, the default"}) is not longer than the gateway's RequestTimeout/StreamIdleTimeout ({longestWait.TotalSeconds} s).");
                }
            }

            var bodySize = annotations.GetValueOrDefault("nginx.ingress.kubernetes.io/proxy-body-size") as string;
            if (bodySize is null || Nginx.Size(bodySize) is var size && size != 0 && size < options.MaxRequestBodySize)
            {
                problems.Add($"{ingress.File}: nginx.ingress.kubernetes.io/proxy-body-size ({bodySize ?? "1m, the default"}) is below LlmGateway:MaxRequestBodySize ({options.MaxRequestBodySize} bytes).");
            }
        }

        var hpa = Find(objects, "HorizontalPodAutoscaler");
        if (hpa is null || hpa.Yaml.Text("spec", "scaleTargetRef", "kind") != "Deployment" || hpa.Yaml.Text("spec", "scaleTargetRef", "name") != deployment.Name
            || !hpa.Yaml.List("spec", "metrics").Any(static m => m.Text("resource", "name") == "cpu"))
        {
            problems.Add($"{Folder}: no HorizontalPodAutoscaler scales Deployment {deployment.Name} on CPU.");
        }

        var pdb = Find(objects, "PodDisruptionBudget");
        if (pdb is null || !Matches(pdb.Yaml.Map("spec", "selector", "matchLabels"), podLabels))
        {
            problems.Add($"{Folder}: no PodDisruptionBudget selects the gateway's pods.");
        }

        return problems;
    }

    private static List<string> RedisProblems(IReadOnlyList<KubernetesObject> objects, LlmGatewayOptions options)
    {
        var problems = new List<string>();
        var endpoint = options.Redis?.Split(',')[0].Split(':');
        if (endpoint is not [var host, var port])
        {
            problems.Add($"{Folder}: LlmGateway__Redis ('{options.Redis}') does not name a Redis host and port: the pods would not share keys, limits and cache.");
            return problems;
        }

        var service = Find(objects, "Service", host);
        var statefulSet = objects.FirstOrDefault(static o => o.Kind == "StatefulSet");
        if (service is null || !service.Yaml.List("spec", "ports").Any(p => p.Text("port") == port))
        {
            problems.Add($"{Folder}: LlmGateway__Redis names {host}:{port}, which no Service of k8s/ serves.");
            return problems;
        }

        if (statefulSet is null || !Matches(service.Yaml.Map("spec", "selector"), statefulSet.Yaml.Map("spec", "template", "metadata", "labels").ToDictionary(static l => l.Key, static l => l.Value as string, StringComparer.Ordinal)))
        {
            problems.Add($"{service.File}: Service {host} selects no StatefulSet's pods.");
            return problems;
        }

        var redis = statefulSet.Yaml.List("spec", "template", "spec", "containers").FirstOrDefault();
        var arguments = string.Join(' ', redis.List("command").Concat(redis.List("args")).OfType<string>());
        if (!arguments.Contains("--appendonly yes", StringComparison.Ordinal))
        {
            problems.Add($"{statefulSet.File}: Redis does not run with --appendonly yes: keys created through the admin API would be lost on restart.");
        }

        var claims = statefulSet.Yaml.List("spec", "volumeClaimTemplates").Select(static c => c.Text("metadata", "name")).ToHashSet(StringComparer.Ordinal);
        if (!redis.List("volumeMounts").Any(m => m.Text("mountPath") == "/data" && claims.Contains(m.Text("name"))))
        {
            problems.Add($"{statefulSet.File}: Redis's /data is not on a PersistentVolumeClaim (volumeClaimTemplates).");
        }

        return problems;
    }

    private static bool Matches(Dictionary<string, object?> selector, Dictionary<string, string?> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value as string);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
