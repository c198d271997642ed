namespace OfflineBearer.Stores;

/// <summary>
/// A store that keeps tokens only as long as the process: it cannot hold an offline token a tool put there before the
/// service started, so a public client needs <see cref="OfflineBearerOptions.RefreshToken"/> with it. Asked for by what
/// it can keep, not by its type; a user's own store is taken to keep tokens across restarts.
/// </summary>
internal interface IProcessLifetimeStore;
