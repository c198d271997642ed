namespace OfflineBearer.Testing.Internal;

/// <summary>The body of <c>GET /api/ping</c>: <c>{"ok":true,"client":"...","subject":"..."}</c>.</summary>
internal sealed record PingResponse(bool Ok, string? Client, string? Subject);
