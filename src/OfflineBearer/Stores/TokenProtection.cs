using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

// Linked as source into OfflineBearer.Redis, where it is its own internal type.
#if OFFLINEBEARER_REDIS
namespace OfflineBearer.Redis.Internal;
#else
namespace OfflineBearer.Stores;
#endif

/// <summary>
/// Protects tokens at rest (the file store, the shared store) with ASP.NET Core Data Protection when the application
/// registers an <see cref="IDataProtectionProvider"/>; without one, tokens are stored as they are, and the README says
/// how to protect the directory or Redis instead. One purpose string for every store, so a store can be read by any
/// replica that shares the key ring.
/// </summary>
internal sealed class TokenProtection
{
    private const string Purpose = "OfflineBearer.Tokens.v1";

    private readonly IDataProtector? _protector;

    public TokenProtection(IDataProtectionProvider? provider) => _protector = provider?.CreateProtector(Purpose);

    public static TokenProtection None { get; } = new(null);

    public bool IsOn => _protector is not null;

    public static TokenProtection From(IServiceProvider services) => new(services.GetService<IDataProtectionProvider>());

    public string Protect(string token) => _protector is null ? token : _protector.Protect(token);

    /// <summary>The token, or an <see cref="OfflineBearerException"/> saying why a protected one cannot be read here.</summary>
    public string Unprotect(string protectedToken, string where)
    {
        if (_protector is null)
        {
            throw new OfflineBearerException(
                $"The token stored {where} is protected with ASP.NET Core Data Protection, but no IDataProtectionProvider is " +
                "registered. Register Data Protection with the same key ring as the service that wrote it.");
        }

        try
        {
            return _protector.Unprotect(protectedToken);
        }
        catch (CryptographicException e)
        {
            throw new OfflineBearerException(
                $"The token stored {where} cannot be unprotected with this service's Data Protection keys ({e.GetType().Name}). " +
                "Share the key ring between the services that share the store, or delete the stored token to start over.",
                e);
        }
    }
}
