using System.Globalization;

namespace OfflineBearer.Testing;

/// <summary>
/// <c>dotnet run --project samples/OfflineBearer.DevServer [--urls http://127.0.0.1:5080] [--access-token-lifetime 60]
/// [--mtls DIR]</c>: runs the server until Ctrl+C and prints what a person needs to try it with curl. With <c>--mtls</c> it
/// serves https with mutual TLS (default <c>https://127.0.0.1:5443</c>) and writes throwaway certificates and keys as PEM
/// files into DIR for curl.
/// </summary>
internal static class Program
{
    private const string DefaultUrl = "http://127.0.0.1:5080";
    private const string DefaultHttpsUrl = "https://127.0.0.1:5443";

    private static async Task Main(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
        var mtlsDirectory = settings["mtls"];
        using var certificates = mtlsDirectory is null ? null : TestCertificateFiles.Write(mtlsDirectory);
        var options = new TestTokenServerOptions
        {
            Url = settings["urls"] ?? (certificates is null ? DefaultUrl : DefaultHttpsUrl),
            ServerCertificate = certificates?.Server,
            TlsClientCertificateAuthority = certificates?.Authority,
            SelfSignedTlsClientCertificate = certificates?.SelfSignedClient,
        };

        if (settings["access-token-lifetime"] is { } seconds)
        {
            options.AccessTokenLifetime = TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture));
        }

        await using var server = await TestTokenServer.StartAsync(options);

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // let the server be disposed before the process ends
            stop.Cancel();
        };

        PrintBanner(server, options, WriteSignedJwtClientKey(server));
        if (certificates is not null)
        {
            PrintMutualTls(server, certificates);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopping.");
        }
    }

    /// <summary>The development key of jwt-client, for <c>SigningKeyPath</c> and <c>offline-token --signing-key</c>.</summary>
    private static string WriteSignedJwtClientKey(TestTokenServer server)
    {
        var directory = Path.Combine(Path.GetTempPath(), "offlinebearer-dev");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{TestTokenServer.SignedJwtClientId}.key.pem");
        TestCertificateFiles.WriteKey(path, server.SignedJwtClientKeyPem!);
        return path;
    }

    private static void PrintBanner(TestTokenServer server, TestTokenServerOptions options, string signedJwtClientKeyPath)
    {
        var token = server.TokenEndpoint;
        Console.WriteLine($"""
            OfflineBearer development token server (OpenIddict), access tokens live {options.AccessTokenLifetime.TotalSeconds:0} s.
              Authority   {server.Authority}
              Discovery   {server.DiscoveryEndpoint}
              Token       {token}
              Revocation  {server.RevocationEndpoint}
              Authorize   {server.AuthorizationEndpoint}  (code + PKCE S256, redirect http://127.0.0.1:PORT{TestTokenServer.LoopbackRedirectPath}, any port)
              Device      {server.DeviceAuthorizationEndpoint}  (verify at {server.VerificationEndpoint}, poll every {options.DevicePollingInterval.TotalSeconds:0} s)
              API         {server.ApiUrl}ping
            Clients (scopes: {TestTokenServer.ApiScope}, offline_access):
              {TestTokenServer.BasicClientId} / {TestTokenServer.BasicClientSecret}   client_secret_basic, client_credentials + refresh_token
              {TestTokenServer.PostClientId} / {TestTokenServer.PostClientSecret}     client_secret_post,  client_credentials + refresh_token
              {TestTokenServer.PublicClientId}                 public, user {TestTokenServer.UserName} / {TestTokenServer.Password}: password, authorization_code, device_code + refresh_token
              {TestTokenServer.SignedJwtClientId}                    private_key_jwt with the key in {signedJwtClientKeyPath}, client_credentials + refresh_token
            DPoP (RFC 9449): a token request with a DPoP proof header gets tokens bound to its key (token_type DPoP, cnf.jkt);
              call the API with "Authorization: DPoP <token>" and a new proof each time. Without a proof, bearer tokens as usual.
            Try:
              curl -s -u {TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret} -d grant_type=client_credentials -d "scope={TestTokenServer.ApiScope} offline_access" {token}
              curl -s -H "Authorization: Bearer $ACCESS_TOKEN" {server.ApiUrl}ping
              curl -s -d client_id={TestTokenServer.PublicClientId} -d "scope=offline_access {TestTokenServer.ApiScope}" {server.DeviceAuthorizationEndpoint}
              curl -s -X POST {server.Authority}admin/revoke-access-tokens
            Ctrl+C stops the server.
            """);
    }

    private static void PrintMutualTls(TestTokenServer server, TestCertificateFiles files)
    {
        var form = $"-d grant_type=client_credentials -d \"scope={TestTokenServer.ApiScope} offline_access\"";
        Console.WriteLine($"""
            Mutual TLS (RFC 8705), certificates in {files.Directory}:
              mTLS token  {server.MtlsTokenEndpoint}  (mtls_endpoint_aliases.token_endpoint)
              {TestTokenServer.TlsClientId}              tls_client_auth: a certificate from {files.AuthorityPath}, DNS {TestTokenServer.TlsClientCertificateName}
              {TestTokenServer.SelfSignedTlsClientId}  self_signed_tls_client_auth: exactly {files.SelfSignedClientPath}
            Access tokens of a client that presents a certificate carry cnf.x5t#S256; the API then wants the same certificate.
              curl -s --cacert {files.ServerPath} --cert {files.ClientPath} --key {files.ClientKeyPath} -d client_id={TestTokenServer.TlsClientId} {form} {server.MtlsTokenEndpoint}
              curl -s --cacert {files.ServerPath} --cert {files.ClientPath} --key {files.ClientKeyPath} -H "Authorization: Bearer $ACCESS_TOKEN" {server.ApiUrl}ping
              curl -s --cacert {files.ServerPath} --cert {files.SelfSignedClientPath} --key {files.SelfSignedClientKeyPath} -d client_id={TestTokenServer.SelfSignedTlsClientId} {form} {server.MtlsTokenEndpoint}
            """);
    }
}
