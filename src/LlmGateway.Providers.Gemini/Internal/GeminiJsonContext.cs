using System.Text.Json.Serialization;

namespace LlmGateway.Gemini.Internal;

/// <summary>Source-generated serialisation for the few payloads the provider builds from .NET types.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class GeminiJsonContext : JsonSerializerContext;
