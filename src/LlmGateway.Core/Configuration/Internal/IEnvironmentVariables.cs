namespace LlmGateway.Internal;

/// <summary>Reads environment variables; replaced in tests so they do not depend on the machine's environment.</summary>
internal interface IEnvironmentVariables
{
    string? Get(string name);
}

internal sealed class ProcessEnvironmentVariables : IEnvironmentVariables
{
    public string? Get(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
