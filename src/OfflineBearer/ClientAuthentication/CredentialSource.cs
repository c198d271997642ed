namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// A credential that changes while the service runs (a mounted secret, a platform's JWT, a subject token): read from its
/// file or asked of its provider at every token request, so a rotated one is used from the next request on and nothing
/// is cached that could go stale. Token requests are minutes apart; a read costs microseconds. The value is never put in
/// a message: errors name the source.
/// </summary>
internal sealed class CredentialSource
{
    private readonly string _clientName;
    private readonly string? _path;
    private readonly Func<CancellationToken, ValueTask<string>>? _provider;

    private CredentialSource(string clientName, string option, string? path, Func<CancellationToken, ValueTask<string>>? provider)
    {
        _clientName = clientName;
        _path = path;
        _provider = provider;
        Description = provider is null ? $"{option} '{path}'" : option;
    }

    /// <summary>Where the credential comes from, for messages: the option and its file, or the provider's option.</summary>
    public string Description { get; }

    /// <summary>The provider when there is one (it wins), else the file; null when neither is set.</summary>
    public static CredentialSource? For(
        string clientName, string pathOption, string? path, string providerOption, Func<CancellationToken, ValueTask<string>>? provider) =>
        provider is not null ? new CredentialSource(clientName, providerOption, null, provider)
        : string.IsNullOrWhiteSpace(path) ? null
        : new CredentialSource(clientName, pathOption, path, null);

    /// <summary>The credential as it is now, without surrounding white space (a file's trailing newline is not part of it).</summary>
    /// <exception cref="OfflineBearerException">The file cannot be read, the provider failed, or the value is empty.</exception>
    public async ValueTask<string> ReadAsync(CancellationToken cancellationToken)
    {
        string value;
        try
        {
            value = _provider is not null
                ? await _provider(cancellationToken).ConfigureAwait(false)
                : await File.ReadAllTextAsync(_path!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' could not read {Description} ({e.GetType().Name}). " +
                (_provider is null ? "Check that the file is mounted and readable by this service." : "The inner exception says why."),
                e);
        }

        value = value?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            throw new OfflineBearerException($"OfflineBearer client '{_clientName}': {Description} is empty.");
        }

        return value;
    }

    /// <summary>Never prints the credential.</summary>
    public override string ToString() => $"CredentialSource {Description}";
}
