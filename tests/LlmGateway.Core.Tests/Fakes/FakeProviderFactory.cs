using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Fakes;

/// <summary>A provider type whose instances are <see cref="FakeProvider"/>s.</summary>
internal sealed class FakeProviderFactory(string type) : ILlmProviderFactory
{
    public string Type { get; } = type;

    /// <summary>Gets the problems <see cref="Validate"/> reports for every instance.</summary>
    public IReadOnlyList<string> ValidationErrors { get; init; } = [];

    /// <summary>Gets a value indicating whether <see cref="Validate"/> checks <c>BaseUrl</c> as the built-in types do.</summary>
    public bool ChecksBaseUrl { get; init; }

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        var errors = ValidationErrors.ToList();
        if (ChecksBaseUrl && LlmGatewayOptionsValidator.ValidateBaseUrl(name, options.BaseUrl) is { } error)
        {
            errors.Add(error);
        }

        return errors;
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new FakeProvider(name, Type) { Options = options };
}
