using Microsoft.Extensions.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Caching;

/// <summary>
/// The current <see cref="ClientSession"/> of one client, replaced at the next token request after its options were
/// reloaded (an <see cref="IOptionsMonitor{TOptions}"/> change): what the new options say is used from that request on,
/// with nothing to restart. Options that fail validation leave the session as it was and fail that token request with
/// the validation's message, so the token in hand keeps serving until it expires.
/// </summary>
internal sealed class ClientSessions : ITokenSource
{
    private readonly string _clientName;
    private readonly Func<OfflineBearerOptions> _options;
    private readonly Func<OfflineBearerOptions, ClientSession, ClientSession> _reload;
    private volatile ClientSession _current;

    /// <param name="first">The session of the options the client started with.</param>
    /// <param name="options">The client's options as they are now (validated on each change).</param>
    /// <param name="reload">Makes the session of new options from the one before.</param>
    public ClientSessions(ClientSession first, Func<OfflineBearerOptions> options, Func<OfflineBearerOptions, ClientSession, ClientSession> reload)
    {
        _clientName = first.Client.Name;
        _current = first;
        _options = options;
        _reload = reload;
    }

    /// <summary>The session in use.</summary>
    public ClientSession Current => _current;

    /// <summary>Runs in the holder's single flight, which makes it the one writer of the session.</summary>
    public Task<TokenResult> GetTokenAsync(long validUntil, CancellationToken cancellationToken)
    {
        OfflineBearerOptions options;
        try
        {
            options = _options();
        }
        catch (OptionsValidationException e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}': its reloaded options are not valid, so they are not used: {string.Join(" ", e.Failures)}",
                e);
        }

        if (!ReferenceEquals(options, _current.Client.Options))
        {
            try
            {
                _current = _reload(options, _current);
            }
            catch (InvalidOperationException e)
            {
                // A key or certificate file the new options name that cannot be read: the message names the client and the option.
                throw new OfflineBearerException(e.Message, e);
            }
        }

        return _current.Source.GetTokenAsync(validUntil, cancellationToken);
    }
}
