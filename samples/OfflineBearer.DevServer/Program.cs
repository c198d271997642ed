using System.Globalization;

namespace OfflineBearer.DevServer;

/// <summary>
/// <c>dotnet run --project samples/OfflineBearer.DevServer [--urls http://127.0.0.1:5080] [--access-token-lifetime 60]</c>:
/// runs the server until Ctrl+C and prints what a person needs to try it with curl.
/// </summary>
internal static class Program
{
    private const string DefaultUrl = "http://127.0.0.1:5080";

    private static async Task Main(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
        var options = new DevServerOptions
        {
            Url = settings["urls"] ?? DefaultUrl,
        };

        if (settings["access-token-lifetime"] is { } seconds)
        {
            options.AccessTokenLifetime = TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture));
        }

        await using var server = await DevServer.StartAsync(options);

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // let the server be disposed before the process ends
            stop.Cancel();
        };

        PrintBanner(server, options);

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopping.");
        }
    }

    private static void PrintBanner(DevServer server, DevServerOptions options)
    {
        var token = server.TokenEndpoint;
        Console.WriteLine($"""
            OfflineBearer development token server (OpenIddict), access tokens live {options.AccessTokenLifetime.TotalSeconds:0} s.
              Authority   {server.Authority}
              Discovery   {server.DiscoveryEndpoint}
              Token       {token}
              Revocation  {server.RevocationEndpoint}
              Authorize   {server.AuthorizationEndpoint}  (code + PKCE S256, redirect http://127.0.0.1:PORT{DevServer.LoopbackRedirectPath}, any port)
              Device      {server.DeviceAuthorizationEndpoint}  (verify at {server.VerificationEndpoint}, poll every {options.DevicePollingInterval.TotalSeconds:0} s)
              API         {server.ApiUrl}ping
            Clients (scopes: {DevServer.ApiScope}, offline_access):
              {DevServer.BasicClientId} / {DevServer.BasicClientSecret}   client_secret_basic, client_credentials + refresh_token
              {DevServer.PostClientId} / {DevServer.PostClientSecret}     client_secret_post,  client_credentials + refresh_token
              {DevServer.PublicClientId}                 public, user {DevServer.UserName} / {DevServer.Password}: password, authorization_code, device_code + refresh_token
            DPoP (RFC 9449): a token request with a DPoP proof header gets tokens bound to its key (token_type DPoP, cnf.jkt);
              call the API with "Authorization: DPoP <token>" and a new proof each time. Without a proof, bearer tokens as usual.
            Try:
              curl -s -u {DevServer.BasicClientId}:{DevServer.BasicClientSecret} -d grant_type=client_credentials -d "scope={DevServer.ApiScope} offline_access" {token}
              curl -s -H "Authorization: Bearer $ACCESS_TOKEN" {server.ApiUrl}ping
              curl -s -d client_id={DevServer.PublicClientId} -d "scope=offline_access {DevServer.ApiScope}" {server.DeviceAuthorizationEndpoint}
              curl -s -X POST {server.Authority}admin/revoke-access-tokens
            Ctrl+C stops the server.
            """);
    }
}
