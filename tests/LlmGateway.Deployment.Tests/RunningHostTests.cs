using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LlmGateway.Deployment.Tests.Checks;
using LlmGateway.Deployment.Tests.Infrastructure;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests;

/// <summary>
/// The real host started with each deployment's environment (the image's, a compose gateway's, the Kubernetes pod's):
/// it must start, listen where the files say, and answer the paths they probe. Only the port (a free one instead of
/// 8080) and Redis's address (a redis-server the test starts) differ from what a container gets.
/// </summary>
public sealed class RunningHostTests
{
    private readonly DeploymentFiles _files = new();

    [Fact]
    public async Task ImageEnvironment_HostListensOnEveryInterfaceAtItsPortAndPassesTheHealthCheck()
    {
        var port = HostProcess.FreePort();
        var environment = WithPort(DockerfileCheck.Environment(_files), port);
        await using var host = HostProcess.Start(environment, port);

        await host.WaitUntilLiveAsync();

        // Not loopback: the host's appsettings.json (Urls http://localhost:5080) must not win over ASPNETCORE_HTTP_PORTS.
        var listening = await host.WaitForOutputAsync(static l => l.Contains("Now listening on", StringComparison.Ordinal), "'Now listening on'");
        listening.Should().Match(l => l.Contains($"http://[::]:{port}", StringComparison.Ordinal) || l.Contains($"http://0.0.0.0:{port}", StringComparison.Ordinal));
        (await RunHealthCheckAsync(port)).ExitCode.Should().Be(0, "the image's HEALTHCHECK script succeeds against the running host");
    }

    [Fact]
    public async Task HealthCheckScript_AnswerOtherThan200_Fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[1024];
            _ = await stream.ReadAsync(request);
            await stream.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            return Encoding.ASCII.GetString(request);
        });

        var (exitCode, output) = await RunHealthCheckAsync(port);

        exitCode.Should().NotBe(0, output);
        (await server).Should().StartWith("GET /health/live HTTP/1.1\r\n");
    }

    [Fact]
    public async Task HealthCheckScript_NothingListening_Fails()
    {
        var (exitCode, output) = await RunHealthCheckAsync(HostProcess.FreePort());

        exitCode.Should().NotBe(0, output);
    }

    [Fact]
    public async Task ComposeEnvironment_BothGatewaysAreReadyAndShareKeys()
    {
        using var redis = new RedisServer();
        var compose = Yaml.Document(_files.Read(ComposeCheck.File));
        var prefix = RedisServer.UniquePrefix(); // both instances share it, as they share the compose file's prefix
        var volume = Directory.CreateTempSubdirectory("llmgateway-compose-data-").FullName; // the volume both mount
        var hosts = new List<HostProcess>();
        try
        {
            foreach (var service in ComposeCheck.GatewayServices(compose))
            {
                var problems = new List<string>();
                var environment = ComposeCheck.ContainerEnvironment(_files, service, problems);
                problems.Should().BeEmpty();
                environment["LlmGateway__Redis"] = redis.ConnectionString;
                environment["LlmGateway__RedisKeyPrefix"] = prefix;
                var port = HostProcess.FreePort();
                hosts.Add(HostProcess.Start(WithPort(environment, port), port, volume));
            }

            foreach (var host in hosts)
            {
                await host.WaitUntilLiveAsync();
                var (status, body) = await host.GetWithBodyAsync("/health/ready");
                status.Should().Be(HttpStatusCode.OK, body);
            }

            var adminKey = Compose.EnvFile(_files.Read(ComposeCheck.EnvExample))["LLMGATEWAY_ADMIN_KEY"];
            var created = await AdminAsync(hosts[0], HttpMethod.Post, "/admin/keys", adminKey, """{"name":"compose-shared"}""");
            var id = created.GetProperty("id").GetString();
            var listed = await AdminAsync(hosts[1], HttpMethod.Get, "/admin/keys", adminKey, null);
            listed.GetProperty("data").EnumerateArray().Select(static k => k.GetProperty("id").GetString()).Should().Contain(id, "both instances use the compose file's one store of keys (the database on the shared volume)");
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            Directory.Delete(volume, recursive: true);
        }
    }

    [Fact]
    public async Task KubernetesEnvironment_EveryProbePathAnswers200AndAnUnknownPathDoesNot()
    {
        using var redis = new RedisServer();
        var objects = KubernetesCheck.Objects(_files);
        var problems = new List<string>();
        var environment = KubernetesCheck.ContainerEnvironment(_files, objects, problems, out _);
        problems.Should().BeEmpty();
        environment["LlmGateway__Redis"] = redis.ConnectionString;
        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(WithPort(environment, port), port);
        await host.WaitUntilLiveAsync();

        var container = KubernetesCheck.GatewayContainer(KubernetesCheck.GatewayDeployment(objects)!);
        var paths = new[] { "startupProbe", "livenessProbe", "readinessProbe" }.Select(p => container.Text(p, "httpGet", "path")!).ToList();

        paths.Should().Equal("/health/live", "/health/live", "/health/ready");
        foreach (var path in paths)
        {
            var (status, body) = await host.GetWithBodyAsync(path);
            status.Should().Be(HttpStatusCode.OK, $"{path} is a probe of k8s/deployment.yaml: {body}");
        }

        (await host.GetAsync("/health/lively")).Should().Be(HttpStatusCode.NotFound, "a misspelt probe path would fail");
    }

    private static Dictionary<string, string?> WithPort(IReadOnlyDictionary<string, string?> environment, int port)
    {
        environment.Should().ContainKey("ASPNETCORE_HTTP_PORTS");
        return new Dictionary<string, string?>(environment, StringComparer.Ordinal) { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture) };
    }

    private static async Task<JsonElement> AdminAsync(HostProcess host, HttpMethod method, string path, string adminKey, string? body)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Port}") };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Runs deploy/healthcheck.sh as the image's HEALTHCHECK does, with the host's port in its environment.</summary>
    private async Task<(int ExitCode, string Output)> RunHealthCheckAsync(int port)
    {
        var script = Path.Combine(DeploymentFiles.Root, DockerfileCheck.HealthCheckScript(_files)!);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, ArgumentList = { script } };
        start.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token) + await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output);
    }
}
