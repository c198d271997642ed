using System.Text.Json.Serialization;

namespace OfflineBearer.Stores;

/// <summary>
/// The file store's JSON, generated at compile time so the store works trimmed and under NativeAOT. The default options
/// (compact, the default encoder) write byte for byte what reflection-based serialization wrote, so files stay readable both ways.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class FileStoreJsonContext : JsonSerializerContext;
