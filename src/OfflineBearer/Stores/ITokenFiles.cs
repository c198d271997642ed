namespace OfflineBearer.Stores;

/// <summary>
/// A store whose tokens are files in a directory: what <c>offline-token</c> needs to keep its own files beside a
/// client's (its settings, a cached access token) and to remove a client's. Asked for by what it can do, not by its type.
/// </summary>
internal interface ITokenFiles
{
    /// <summary>The path of a file of the client beside its refresh token, with <paramref name="extension"/>.</summary>
    string PathBeside(string clientName, string extension);

    /// <summary>Deletes the client's stored refresh token; nothing when there is none.</summary>
    void Delete(string clientName);
}
