using System.Text.Json;
using System.Text.Json.Serialization;

namespace OfflineBearer.Gateway;

/// <summary>The readings' JSON, generated at compile time: a native binary has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Reading))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
