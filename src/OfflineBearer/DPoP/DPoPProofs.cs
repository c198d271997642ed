using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Keys;
using OfflineBearer.Stores;

namespace OfflineBearer.DPoP;

/// <summary>
/// One client's DPoP key (RFC 9449) and the proofs signed with it: one per token request and one per API request, each
/// with its own <c>jti</c>. The header (type, algorithm, public JWK) is encoded once; a proof costs a small JSON payload
/// and one signature. Servers' nonces are kept per origin, as each server hands out its own.
/// </summary>
internal sealed class DPoPProofs
{
    /// <summary>The request header that carries a proof, and the response header that carries a server's nonce.</summary>
    public const string ProofHeader = "DPoP";
    public const string NonceHeader = "DPoP-Nonce";

    /// <summary>The token_type and Authorization scheme of a DPoP-bound access token.</summary>
    public const string Scheme = "DPoP";

    private readonly AsymmetricAlgorithm _key;
    private readonly string _encodedHeader;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _nonces = new(StringComparer.Ordinal);

    private DPoPProofs(AsymmetricAlgorithm key, TimeProvider time)
    {
        _key = key;
        _time = time;
        Algorithm = KeyAlgorithms.DefaultAlgorithm(key);
        Thumbprint = KeyAlgorithms.Thumbprint(key);
        _encodedHeader = Base64UrlEncoder.Encode($$"""{"typ":"dpop+jwt","alg":"{{Algorithm}}","jwk":{{KeyAlgorithms.PublicJwk(key)}}}""");
    }

    /// <summary>ES256 for the P-256 key made by default.</summary>
    public string Algorithm { get; }

    /// <summary>The RFC 7638 thumbprint of the public key: what a bound token's <c>cnf.jkt</c> carries.</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// The key from <see cref="OfflineBearerOptions.DPoPKeyPath"/>, or a new P-256 key that lives as long as the client.
    /// Throws <see cref="InvalidOperationException"/> naming the option when the file is not a usable private key.
    /// </summary>
    public static DPoPProofs Create(string client, OfflineBearerOptions options, TimeProvider time) => new(
        string.IsNullOrWhiteSpace(options.DPoPKeyPath)
            ? ECDsa.Create(ECCurve.NamedCurves.nistP256)
            : PrivateKeyReader.ReadKeyFile(client, nameof(OfflineBearerOptions.DPoPKeyPath), options.DPoPKeyPath).Key,
        time);

    /// <summary>
    /// The key kept in the file store beside the client's refresh token, or a new P-256 key stored there before any proof
    /// is signed with it, so a refresh token the server binds to it outlives a restart.
    /// </summary>
    public static async Task<DPoPProofs> KeptInAsync(string client, IDPoPKeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            if (await store.GetDPoPKeyAsync(client, cancellationToken).ConfigureAwait(false) is { } pem)
            {
                key.ImportFromPem(pem);
            }
            else
            {
                await store.SetDPoPKeyAsync(client, key.ExportPkcs8PrivateKeyPem(), cancellationToken).ConfigureAwait(false);
            }

            return new DPoPProofs(key, time);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new OfflineBearerException(
                $"The stored DPoP key of OfflineBearer client '{client}' is not an EC private key ({e.GetType().Name}). " +
                "Restore the file from a backup, or delete it to start over with a new key (a refresh token bound to the old one is then refused).",
                e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A proof for one request: <c>htm</c>, <c>htu</c> (the URI without query and fragment), <c>iat</c>, a fresh
    /// <c>jti</c>, the origin's nonce if it gave one, and <c>ath</c> (<see cref="HashOf"/>) on requests that carry a token.
    /// </summary>
    /// <returns>The proof, with the nonce it carries.</returns>
    public DPoPProof Create(HttpMethod method, Uri uri, string? accessTokenHash)
    {
        var nonce = _nonces.GetValueOrDefault(OriginOf(uri));
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jti", Guid.NewGuid().ToString("N"));
            json.WriteString("htm", method.Method);
            json.WriteString("htu", TargetOf(uri));
            json.WriteNumber("iat", _time.GetUtcNow().ToUnixTimeSeconds());
            if (accessTokenHash is not null)
            {
                json.WriteString("ath", accessTokenHash);
            }

            if (nonce is not null)
            {
                json.WriteString("nonce", nonce);
            }

            json.WriteEndObject();
        }

        var signingInput = $"{_encodedHeader}.{Base64UrlEncoder.Encode(buffer.WrittenSpan.ToArray())}";
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = _key is RSA rsa
            ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : ((ECDsa)_key).SignData(data, HashNameOf(Algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new DPoPProof($"{signingInput}.{Base64UrlEncoder.Encode(signature)}", nonce);
    }

    /// <summary>Keeps the nonce a response from <paramref name="uri"/>'s origin hands out, for that origin's next proofs.</summary>
    /// <returns>The response's nonce, or null when it carried none.</returns>
    public string? RememberNonce(Uri uri, HttpResponseHeaders headers) =>
        RememberNonce(uri, headers.TryGetValues(NonceHeader, out var values) ? values.FirstOrDefault() : null);

    /// <summary>
    /// Keeps <paramref name="nonce"/>, handed out by <paramref name="uri"/>'s origin, for that origin's next proofs. The
    /// latest answer wins; whether a nonce is new to the client decides nothing, as concurrent requests learn it in any order.
    /// </summary>
    /// <returns>The nonce kept, or null when <paramref name="nonce"/> is null or empty.</returns>
    public string? RememberNonce(Uri uri, string? nonce)
    {
        if (string.IsNullOrEmpty(nonce))
        {
            return null;
        }

        _nonces[OriginOf(uri)] = nonce;
        return nonce;
    }

    /// <summary>The <c>ath</c> claim: base64url of the SHA-256 of the token's ASCII bytes (RFC 9449 section 4.2).</summary>
    public static string HashOf(string accessToken) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"DPoPProofs (jkt {Thumbprint}, {Algorithm})";

    /// <summary>RFC 9449 section 4.2: the target URI without query and fragment; Uri already lowercases scheme and host.</summary>
    internal static string TargetOf(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private static string OriginOf(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    private static HashAlgorithmName HashNameOf(string algorithm) => algorithm switch
    {
        SecurityAlgorithms.EcdsaSha384 => HashAlgorithmName.SHA384,
        SecurityAlgorithms.EcdsaSha512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };
}
