using System.Text.Json.Serialization;

namespace LlmGateway.Redis.Internal;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoredKey))]
[JsonSerializable(typeof(List<StoredKey>))]
internal sealed partial class StoredKeyJsonContext : JsonSerializerContext;
