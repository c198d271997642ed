using System.Text.Json.Serialization;

namespace OfflineBearer.Cli;

/// <summary>
/// The files the tool keeps beside a stored token, serialized by code generated at compile time, so the tool holds no
/// reflection-based serialization. The default options write byte for byte what reflection-based serialization wrote.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string?>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(long))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
