using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Fakes;

/// <summary>Environment variables from a dictionary, so tests never see the machine's environment.</summary>
internal sealed class FakeEnvironmentVariables : IEnvironmentVariables
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public FakeEnvironmentVariables(params (string Name, string Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            _values[name] = value;
        }
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);
}
