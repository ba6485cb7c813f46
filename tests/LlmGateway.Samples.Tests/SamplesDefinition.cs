using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>The tests that share one stand-in upstream and one thin host; they run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class SamplesDefinition : ICollectionFixture<SampleServers>
{
    public const string Name = "Samples";
}
