namespace LlmGateway.Samples.Tests.Infrastructure;

/// <summary>A folder of its own for one test (the scripts' TMPDIR), deleted afterwards.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("llmgateway-samples-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in the temp folder.
        }
    }
}
