using LlmGateway.Deployment.Tests.Checks;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>The manifests in k8s/ (KubernetesCheck), and that the check notices mistakes.</summary>
public sealed class KubernetesTests
{
    private readonly DeploymentFiles _files = new();

    [Fact]
    public void Manifests_AsCommitted_HaveNoProblems() =>
        KubernetesCheck.Problems(_files).Should().BeEmpty();

    [Fact]
    public void Manifests_HoldEveryObjectTheDeploymentNeeds()
    {
        var objects = KubernetesCheck.Objects(_files).Select(static o => $"{o.Kind}/{o.Name}");

        objects.Should().Contain([
            "ConfigMap/llmgateway-config", "Secret/llmgateway-secrets", "Secret/llmgateway-redis", "Deployment/llmgateway",
            "Service/llmgateway", "Ingress/llmgateway", "HorizontalPodAutoscaler/llmgateway", "PodDisruptionBudget/llmgateway",
            "StatefulSet/llmgateway-redis", "Service/llmgateway-redis", "NetworkPolicy/llmgateway-redis",
        ]);
    }

    [Fact]
    public void ContainerEnvironment_ExpandsTheRedisPasswordIntoTheConnectionString()
    {
        var objects = KubernetesCheck.Objects(_files);
        var problems = new List<string>();

        var environment = KubernetesCheck.ContainerEnvironment(_files, objects, problems, out var helpers);

        problems.Should().BeEmpty();
        environment["LlmGateway__Redis"].Should().Be("llmgateway-redis:6379,password=REPLACE-WITH-A-LONG-RANDOM-REDIS-PASSWORD");
        helpers.Should().Equal("LLMGATEWAY_REDIS_PASSWORD");
    }

    [Theory]
    [InlineData("k8s/configmap.yaml", "LlmGateway__Cache__Enabled:", "LlmGateway__Cache__Enable:", "[LlmGateway__Cache__Enable (set in k8s/configmap.yaml)]")]
    [InlineData("k8s/configmap.yaml", "LlmGateway__Auth__Mode: Gateway", "LlmGateway__Auth__Mode: Gatewy", "LlmGateway:Auth:Mode")]
    [InlineData("k8s/configmap.yaml", "LlmGateway__ShutdownDrainTimeout: \"00:00:30\"", "LlmGateway__ShutdownDrainTimeout: \"00:01:00\"", "terminationGracePeriodSeconds (60) is not longer")]
    [InlineData("k8s/secret.example.yaml", "OPENAI_API_KEY:", "OPENAI_KEY:", "OPENAI_KEY (set in k8s/secret.example.yaml) is not a variable the host reads")]
    [InlineData("k8s/deployment.yaml", "path: /health/ready", "path: /healthz", "readinessProbe GETs /healthz, not /health/ready")]
    [InlineData("k8s/deployment.yaml", "containerPort: 8080", "containerPort: 80", "no containerPort is the host's ASPNETCORE_HTTP_PORTS (8080)")]
    [InlineData("k8s/deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem is not true")]
    [InlineData("k8s/deployment.yaml", "drop: [\"ALL\"]", "drop: [\"NET_RAW\"]", "does not drop ALL capabilities")]
    [InlineData("k8s/deployment.yaml", "mountPath: /tmp", "mountPath: /var/tmp", "/tmp needs an emptyDir volume")]
    [InlineData("k8s/deployment.yaml", "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds (30)")]
    [InlineData("k8s/deployment.yaml", "key: password", "key: passwd", "which k8s/secret.example.yaml does not have")]
    [InlineData("k8s/service.yaml", "targetPort: http", "targetPort: web", "targets web, which is not a port of the gateway container")]
    [InlineData("k8s/ingress.yaml", "proxy-buffering: \"off\"", "proxy-buffering: \"on\"", "proxy-buffering is not \"off\"")]
    [InlineData("k8s/ingress.yaml", "proxy-read-timeout: \"620\"", "proxy-read-timeout: \"60\"", "proxy-read-timeout (60)")]
    [InlineData("k8s/ingress.yaml", "name: llmgateway\n                port:", "name: gateway\n                port:", "a backend goes to service gateway")]
    [InlineData("k8s/hpa.yaml", "name: llmgateway\n  minReplicas", "name: gateway\n  minReplicas", "no HorizontalPodAutoscaler scales Deployment llmgateway")]
    [InlineData("k8s/pdb.yaml", "app.kubernetes.io/name: llmgateway\n", "app.kubernetes.io/name: gateway\n", "no PodDisruptionBudget selects")]
    [InlineData("k8s/redis.yaml", "\"--appendonly\", \"yes\"", "\"--appendonly\", \"no\"", "--appendonly yes")]
    [InlineData("k8s/redis.yaml", "mountPath: /data", "mountPath: /var/data", "not on a PersistentVolumeClaim")]
    [InlineData("k8s/kustomization.yaml", "  - pdb.yaml\n", "", "are not the manifests")]
    public void Problems_ABrokenManifest_AreReported(string file, string original, string broken, string expected)
    {
        var files = _files.With(file, text => text.Replace(original, broken, StringComparison.Ordinal));

        KubernetesCheck.Problems(files).Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
    }
}
