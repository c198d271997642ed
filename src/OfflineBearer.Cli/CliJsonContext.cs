using System.Text.Json.Serialization;

namespace OfflineBearer.Cli;

/// <summary>
/// The files the tool keeps beside a stored token, serialized by code generated at compile time, so the tool holds no
/// reflection-based serialization. The default options write byte for byte what reflection-based serialization wrote.
/// The values of a file are strings, numbers and lists of strings (a client's resources).
/// </summary>
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
