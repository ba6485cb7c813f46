using System.Text.Json;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit.Sdk;

namespace LlmGateway.Packaging.Tests.Infrastructure;

/// <summary>
/// A fresh ASP.NET Core app written from <c>TestData/ConsumerApp</c> into a temporary folder outside the repository,
/// restored and built the way a user's app is, with the LlmGateway packages coming only from the folder the test packed
/// them into (package source mapping) and everything else from the machine's usual NuGet sources. It runs on Kestrel
/// on a free loopback port, its <c>openai</c> and <c>gemini</c> instances pointed at one WireMock upstream.
/// </summary>
public sealed class ConsumerApp : IDisposable
{
    /// <summary>The gateway key callers of the app use.</summary>
    public const string GatewayKey = "packaging-test-gateway-key";

    /// <summary>The key the app sends to the OpenAI upstream.</summary>
    public const string OpenAIKey = "packaging-test-openai-key";

    /// <summary>The key the app sends to the Gemini upstream.</summary>
    public const string GeminiKey = "packaging-test-gemini-key";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    private readonly List<string> _restoredPackageFolders = [];
    private ChildProcess? _process;

    private ConsumerApp(string folder)
    {
        Folder = folder;
    }

    /// <summary>Gets the answer the OpenAI upstream gives: nothing the app could make up.</summary>
    public string OpenAIAnswer { get; } = $"Hello from the OpenAI upstream {Guid.NewGuid():N}";

    /// <summary>Gets the answer the Gemini upstream gives.</summary>
    public string GeminiAnswer { get; } = $"Hello from the Gemini upstream {Guid.NewGuid():N}";

    /// <summary>Gets the app's folder.</summary>
    public string Folder { get; }

    /// <summary>Gets the upstream the app's providers call.</summary>
    public WireMockServer Upstream { get; } = WireMockServer.Start();

    /// <summary>Gets the app's address.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Gets the app's restore result (<c>obj/project.assets.json</c>).</summary>
    public JsonElement Assets { get; private set; }

    /// <summary>Gets the machine's NuGet global packages folder, where the restore put the packages.</summary>
    public string GlobalPackagesFolder { get; private set; } = "";

    /// <summary>Gets what the app wrote so far.</summary>
    public string Output => _process?.Output ?? "";

    internal static async Task<ConsumerApp> StartAsync(PackedLibraries packages)
    {
        var app = new ConsumerApp(Path.Combine(packages.Root, "consumer"));
        try
        {
            await app.WriteAsync(packages);
            await app.BuildAsync(packages);
            app.StubUpstream();
            await app.RunAsync();
            return app;
        }
        catch
        {
            app.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _process?.Dispose();
        Upstream.Dispose();

        // The packages of this run's version went into the machine's global packages folder; no later run asks for
        // that version again.
        LocalPackageSource.DeleteRestored(_restoredPackageFolders);
    }

    private async Task WriteAsync(PackedLibraries packages)
    {
        Directory.CreateDirectory(Folder);
        var template = Path.Combine(AppContext.BaseDirectory, "TestData", "ConsumerApp");
        foreach (var file in Directory.GetFiles(template, "*.txt"))
        {
            var text = await File.ReadAllTextAsync(file);
            await File.WriteAllTextAsync(Path.Combine(Folder, Path.GetFileNameWithoutExtension(file)), text.Replace("{{Version}}", packages.Version, StringComparison.Ordinal));
        }

        await LocalPackageSource.WriteNuGetConfigAsync(Folder, packages);
    }

    private async Task BuildAsync(PackedLibraries packages)
    {
        // Known before the restore, so that even a failed build leaves nothing of this run's version behind.
        GlobalPackagesFolder = await LocalPackageSource.GlobalPackagesFolderAsync(Folder);
        _restoredPackageFolders.AddRange(LocalPackageSource.RestoredFolders(GlobalPackagesFolder, packages));

        await ChildProcess.RunAsync(Folder, BuildTimeout, "build", "ConsumerApp.csproj", "--configuration", "Release", "-warnaserror", "-nodeReuse:false");
        using var assets = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Folder, "obj", "project.assets.json")));
        Assets = assets.RootElement.Clone();
    }

    private void StubUpstream()
    {
        Upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                id = "chatcmpl-packaging",
                @object = "chat.completion",
                created = 1700000000,
                model = "gpt-4o-mini-2024-07-18",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = OpenAIAnswer }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 9, completion_tokens = 6, total_tokens = 15 },
            }));
        Upstream.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                candidates = new[] { new { content = new { role = "model", parts = new[] { new { text = GeminiAnswer } } }, finishReason = "STOP", index = 0 } },
                usageMetadata = new { promptTokenCount = 7, candidatesTokenCount = 6, totalTokenCount = 13 },
                modelVersion = "gemini-2.5-flash",
            }));
    }

    private async Task RunAsync()
    {
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["LlmGateway__Providers__openai__BaseUrl"] = Upstream.Urls[0] + "/v1",
            ["LlmGateway__Providers__openai__ApiKey"] = OpenAIKey,
            ["LlmGateway__Providers__gemini__BaseUrl"] = Upstream.Urls[0] + "/v1beta",
            ["LlmGateway__Providers__gemini__ApiKey"] = GeminiKey,
            ["LlmGateway__Auth__Keys__0__Key"] = GatewayKey,
        };
        _process = ChildProcess.Start(Folder, ["exec", Path.Combine("bin", "Release", "net10.0", "ConsumerApp.dll")], environment, line =>
        {
            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(line["LISTENING ".Length..]);
            }
        });

        var finished = await Task.WhenAny(listening.Task, _process.Exited, Task.Delay(StartTimeout));
        if (finished != listening.Task)
        {
            throw new XunitException($"The consumer app did not start ({(finished == _process.Exited ? "it exited" : $"not listening after {StartTimeout}")}):{Environment.NewLine}{_process.Output}");
        }

        Address = new Uri(await listening.Task);
    }
}
