using System.Text.Json.Serialization;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>A key's record as the <c>record</c> column keeps it (the same JSON as the Redis store's).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoredKey))]
internal sealed partial class StoredKeyJsonContext : JsonSerializerContext;
