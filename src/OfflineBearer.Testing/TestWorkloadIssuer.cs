using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing;

/// <summary>
/// A stand-in for a workload identity issuer, such as the Kubernetes API server signing projected service account tokens:
/// it signs JWTs with its own RSA key, made per <see cref="TestTokenServer"/>, which that server trusts and nobody else
/// does. Its tokens authenticate a client (<c>client_assertion</c>, see <see cref="TestTokenServer.WorkloadClientId"/>) or
/// are exchanged for an access token (the jwt-bearer grant, RFC 7523). Write one to a file to play the token a platform
/// mounts into a pod. Times come from the server's <see cref="TestTokenServerOptions.TimeProvider"/>. Thread-safe.
/// </summary>
public sealed class TestWorkloadIssuer
{
    /// <summary>The issuer of a cluster's service account tokens, as Kubernetes names it by default.</summary>
    public const string DefaultIssuer = "https://kubernetes.default.svc.cluster.local";

    private readonly RSA _key;
    private readonly TimeProvider _time;
    private readonly string _keyId;
    private string? _serverIssuer;

    internal TestWorkloadIssuer(string issuer, TimeProvider time)
    {
        Issuer = issuer;
        _time = time;
        _key = RSA.Create(2048);
        PublicKey = new RsaSecurityKey(_key.ExportParameters(includePrivateParameters: false));
        _keyId = Base64UrlEncoder.Encode(PublicKey.ComputeJwkThumbprint());
        PublicKey.KeyId = _keyId;
    }

    /// <summary>The <c>iss</c> of its tokens: <see cref="TestTokenServerOptions.WorkloadTokenIssuer"/>, by default <see cref="DefaultIssuer"/>.</summary>
    public string Issuer { get; }

    /// <summary>The key the token server checks its tokens with.</summary>
    internal RsaSecurityKey PublicKey { get; }

    /// <summary>The token server's own issuer, the default audience; known once the server listens.</summary>
    internal string ServerIssuer
    {
        get => _serverIssuer ?? throw new InvalidOperationException("The token server has not started yet.");
        set => _serverIssuer = value;
    }

    /// <summary>
    /// A token as the platform would mount it: a JWT signed RS256 with header <c>typ: JWT</c> and the issuer's <c>kid</c>,
    /// with <c>iss</c>, <c>sub</c>, <c>aud</c>, <c>iat</c> and <c>nbf</c> (both the server's time now), <c>exp</c> and a fresh
    /// <c>jti</c>. The token server takes it while its clock is before <c>exp</c>, and only if it lives at most an hour.
    /// </summary>
    /// <param name="subject">The <c>sub</c>; <see langword="null"/> for <see cref="TestTokenServer.WorkloadSubject"/>.</param>
    /// <param name="lifetime">
    /// <c>exp</c> minus <c>iat</c>; <see langword="null"/> for one hour. Longer than an hour makes a token the server refuses;
    /// zero or negative makes one that has already expired.
    /// </param>
    /// <param name="audience">The one <c>aud</c>; <see langword="null"/> for the token server's issuer, <see cref="TestTokenServer.Authority"/>, which is what it (like Keycloak) requires.</param>
    /// <returns>The compact JWT.</returns>
    public string CreateToken(string? subject = null, TimeSpan? lifetime = null, string? audience = null)
    {
        var issuedAt = _time.GetUtcNow().ToUnixTimeSeconds();
        return SignToken(new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject ?? TestTokenServer.WorkloadSubject,
            ["aud"] = audience ?? ServerIssuer,
            ["iat"] = issuedAt,
            ["nbf"] = issuedAt,
            ["exp"] = issuedAt + (long)(lifetime ?? TimeSpan.FromHours(1)).TotalSeconds,
            ["jti"] = Guid.NewGuid().ToString(),
        });
    }

    /// <summary>
    /// Signs any claims as this issuer (RS256, <c>typ: JWT</c>, its <c>kid</c>), unchecked and unchanged: for the tokens
    /// <see cref="CreateToken"/> will not make, such as one with two audiences or without <c>exp</c>.
    /// </summary>
    /// <param name="claims">The payload, e.g. <c>new JsonObject { ["iss"] = issuer.Issuer, ["aud"] = new JsonArray("a", "b") }</c>.</param>
    /// <returns>The compact JWT.</returns>
    public string SignToken(JsonObject claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var header = new JsonObject { ["alg"] = SecurityAlgorithms.RsaSha256, ["kid"] = _keyId, ["typ"] = "JWT" };
        var signed = $"{Encode(header)}.{Encode(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64UrlEncoder.Encode(signature)}";
    }

    internal void Dispose() => _key.Dispose();

    private static string Encode(JsonObject json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()));
}
