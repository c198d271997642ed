using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Keys made once per process and shared by every server in it. OpenIddict's ephemeral keys are RSA 4096, which take
/// seconds of CPU to generate at each start; tests start servers often. Tokens still carry each server's own issuer.
/// </summary>
internal static class DevServerKeys
{
    public static SecurityKey Signing { get; } = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "dev-signing" };

    public static SecurityKey Encryption { get; } = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "dev-encryption" };
}
