using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/clients/python: compiled by python3 (the openai package is not installed by the tests, so the
/// scripts are not run here).</summary>
public sealed class PythonClientTests
{
    private static readonly string s_directory = Path.Combine(RepositoryPaths.Clients, "python");

    private static readonly string[] s_scripts = [.. Directory.GetFiles(s_directory, "*.py").Select(static path => Path.GetFileName(path)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Scripts => [.. s_scripts];

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_CompiledByPython3_HasNoSyntaxError(string script)
    {
        using var cache = new TemporaryDirectory();

        var (exitCode, output) = await ChildProcess.RunAsync(
            "python3",
            ["-m", "py_compile", script],
            s_directory,
            new Dictionary<string, string> { ["PYTHONPYCACHEPREFIX"] = cache.Path },
            TimeSpan.FromSeconds(60));

        exitCode.Should().Be(0, $"python3 should compile {script}:\n{output}");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_Always_TakesTheBaseUrlAndKeyFromTheEnvironment(string script)
    {
        var text = File.ReadAllText(Path.Combine(s_directory, script));

        text.Should().Contain("os.environ.get(\"LLMGATEWAY_BASE_URL\", \"http://localhost:5080/v1\")")
            .And.Contain("os.environ.get(\"LLMGATEWAY_API_KEY\"");
    }

    [Fact]
    public void Folder_Always_HasTheSyncAndAsyncioExamples()
    {
        s_scripts.Should().Contain(["chat.py", "chat_async.py", "embeddings.py", "audio.py", "tools.py", "errors.py", "byok.py"]);
    }
}
