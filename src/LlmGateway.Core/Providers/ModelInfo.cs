namespace LlmGateway;

/// <summary>A model as <c>GET /v1/models</c> lists it.</summary>
/// <param name="Id">The id a client sends to use the model through the gateway.</param>
/// <param name="Created">When the model was created, in Unix seconds (0 when the upstream does not say).</param>
/// <param name="OwnedBy">The provider instance that serves it.</param>
public sealed record ModelInfo(string Id, long Created, string OwnedBy);
