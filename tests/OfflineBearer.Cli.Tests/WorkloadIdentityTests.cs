using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// A workload without a secret of its own, end to end against the development server: its platform's JWT (the server's
/// stand-in Kubernetes issuer) as the client's proof or as the jwt-bearer grant, a token exchange, and the resource and
/// audience a token is for; what reaches the server is read from its request log, and no token, assertion or secret is
/// ever in the tool's output or its settings.
/// </summary>
[Collection(CliServer.Name)]
public sealed class WorkloadIdentityTests(CliServerFixture fixture) : IDisposable
{
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    private readonly Tool _tool = new(fixture);
    private readonly string _files = Directory.CreateTempSubdirectory("offline-token-workload-").FullName;

    [Fact]
    public async Task Get_with_a_client_assertion_file_proves_the_workload_client_with_the_file_and_sends_no_client_id()
    {
        var jwt = _tool.Server.WorkloadIssuer.CreateToken();
        var file = Write("sa-token", jwt + "\n");
        _tool.WithSecret("a-secret-for-another-client");
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.WorkloadClientId, "inventory", "--client-assertion-file", file));

        Assert.True(run.ExitCode == 0, run.Error);
        var request = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal(TestTokenServer.WorkloadClientId, request.ClientId);
        Assert.Equal(GrantTypes.ClientCredentials, request.GrantType);
        Assert.Null(request.Error);
        Assert.Equal(jwt, request.Value("client_assertion"));
        Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request.Value("client_assertion_type"));
        Assert.Null(request.Value("client_id"));
        Assert.Null(request.Value("client_secret"));
        Assert.Contains("the file store remembers client 'inventory' for token, which runs the grant again from the files it names", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(jwt, run.All, StringComparison.Ordinal);
        var settings = await File.ReadAllTextAsync(ClientSettings.PathOf(_tool.StoreDirectory, "inventory"));
        using var json = JsonDocument.Parse(settings);
        Assert.Equal("client-assertion", json.RootElement.GetProperty("client_auth").GetString());
        Assert.Equal(file, json.RootElement.GetProperty("client_assertion_path").GetString());
        AssertHoldsNone(settings, jwt, "a-secret-for-another-client");
    }

    [Fact]
    public async Task Token_after_get_proves_the_client_with_the_file_as_the_platform_renewed_it()
    {
        var file = Write("sa-token", _tool.Server.WorkloadIssuer.CreateToken());
        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.WorkloadClientId, "inventory", "--client-assertion-file", file));
        _tool.Time.Advance(TimeSpan.FromSeconds(10)); // 10-second tokens: the one get left has expired
        var renewed = _tool.Server.WorkloadIssuer.CreateToken();
        File.WriteAllText(file, renewed); // the kubelet rotates the projected token
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches("^eyJ[A-Za-z0-9_.-]+\r?\n$", run.Out);
        var request = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((TestTokenServer.WorkloadClientId, GrantTypes.ClientCredentials, null), (request.ClientId, request.GrantType, request.Error));
        Assert.Equal(renewed, request.Value("client_assertion"));
        Assert.Null(request.Value("client_id"));
        Assert.DoesNotContain(renewed, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_with_the_jwt_bearer_grant_trades_the_file_for_a_token_of_its_subject_and_token_trades_it_again()
    {
        var jwt = _tool.Server.WorkloadIssuer.CreateToken();
        var file = Write("sa-token", jwt);
        _tool.Server.Ledger.Reset();

        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PublicClientId, "inventory", "--grant", "jwt-bearer", "--client-assertion-file", file, "--json"));
        var traded = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        var renewed = _tool.Server.WorkloadIssuer.CreateToken();
        File.WriteAllText(file, renewed);
        _tool.Server.Ledger.Reset();
        var token = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.True(get.ExitCode == 0, get.Error);
        using var json = JsonDocument.Parse(get.Out);
        Assert.Equal(GrantTypes.JwtBearer, json.RootElement.GetProperty("grant").GetString());
        Assert.Equal(TestTokenServer.WorkloadSubject, new JsonWebToken(json.RootElement.GetProperty("access_token").GetString()).Subject);
        Assert.Equal((TestTokenServer.PublicClientId, GrantTypes.JwtBearer, null), (traded.ClientId, traded.GrantType, traded.Error));
        Assert.Equal(jwt, traded.Value("assertion"));
        Assert.Equal(TestTokenServer.PublicClientId, traded.Value("client_id")); // a public client sends its id
        Assert.Null(traded.Value("client_assertion"));
        Assert.DoesNotContain(jwt, get.All, StringComparison.Ordinal);
        Assert.True(token.ExitCode == 0, token.Error);
        var again = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((GrantTypes.JwtBearer, null), (again.GrantType, again.Error));
        Assert.Equal(renewed, again.Value("assertion"));
        var settings = await File.ReadAllTextAsync(ClientSettings.PathOf(_tool.StoreDirectory, "inventory"));
        Assert.Contains("\"grant\":\"jwt-bearer\"", settings, StringComparison.Ordinal);
        AssertHoldsNone(settings, jwt, renewed);
    }

    [Fact]
    public async Task Get_with_token_exchange_trades_an_access_token_the_server_issued_to_another_client()
    {
        var subject = await AccessTokenOfBasicClientAsync();
        var file = Write("subject-token", subject);
        _tool.WithSecret(TestTokenServer.PostClientSecret);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args(
            "get", TestTokenServer.PostClientId, "exchange", "--client-auth", "post", "--grant", "token-exchange", "--subject-token-file", file, "--json"));

        Assert.True(run.ExitCode == 0, run.Error);
        var request = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((TestTokenServer.PostClientId, GrantTypes.TokenExchange, null), (request.ClientId, request.GrantType, request.Error));
        Assert.Equal(subject, request.Value("subject_token"));
        Assert.Equal(AccessTokenType, request.Value("subject_token_type"));
        Assert.Null(request.Value("requested_token_type"));
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(GrantTypes.TokenExchange, json.RootElement.GetProperty("grant").GetString());
        var exchanged = new JsonWebToken(json.RootElement.GetProperty("access_token").GetString());
        Assert.Equal(new JsonWebToken(subject).Subject, exchanged.Subject);
        Assert.Equal(TestTokenServer.PostClientId, exchanged.GetPayloadValue<string>("client_id"));
        Assert.DoesNotContain(subject, run.All, StringComparison.Ordinal);
        var settings = await File.ReadAllTextAsync(ClientSettings.PathOf(_tool.StoreDirectory, "exchange"));
        using var remembered = JsonDocument.Parse(settings);
        Assert.Equal("token-exchange", remembered.RootElement.GetProperty("grant").GetString());
        Assert.Equal(file, remembered.RootElement.GetProperty("subject_token_path").GetString());
        AssertHoldsNone(settings, subject, TestTokenServer.PostClientSecret);
    }

    [Fact]
    public async Task Token_after_a_token_exchange_exchanges_what_the_subject_token_file_holds_now()
    {
        var file = Write("subject-token", await AccessTokenOfBasicClientAsync());
        _tool.WithSecret(TestTokenServer.PostClientSecret);
        var get = await _tool.RunAsync(_tool.Args(
            "get", TestTokenServer.PostClientId, "exchange", "--client-auth", "post", "--grant", "token-exchange", "--subject-token-file", file));
        _tool.Time.Advance(TimeSpan.FromSeconds(10)); // the exchanged token, and the subject token it may not outlive, have expired
        var current = await AccessTokenOfBasicClientAsync();
        File.WriteAllText(file, current);
        _tool.WithSecret(TestTokenServer.PostClientSecret);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "exchange");

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        var request = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((TestTokenServer.PostClientId, GrantTypes.TokenExchange, null), (request.ClientId, request.GrantType, request.Error));
        Assert.Equal(current, request.Value("subject_token"));
        Assert.DoesNotContain(current, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_and_audience_reach_the_server_with_get_and_the_remembered_resource_with_tokens_refresh()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);
        _tool.Server.Ledger.Reset();

        var get = await _tool.RunAsync(_tool.Args(
            "get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope,
            "--resource", TestTokenServer.ApiResource, "--audience", TestTokenServer.ApiAudience, "--json"));
        var granted = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        _tool.Server.Ledger.Reset();
        var token = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal((GrantTypes.ClientCredentials, null), (granted.GrantType, granted.Error));
        Assert.Equal([TestTokenServer.ApiResource], granted.Values("resource"));
        Assert.Equal(TestTokenServer.ApiAudience, granted.Value("audience"));
        using var json = JsonDocument.Parse(get.Out);
        Assert.Equal(
            [TestTokenServer.ApiResource, TestTokenServer.ApiAudience],
            new JsonWebToken(json.RootElement.GetProperty("access_token").GetString()).Audiences.Order(StringComparer.Ordinal).Reverse());
        Assert.True(token.ExitCode == 0, token.Error);
        var refreshed = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((GrantTypes.RefreshToken, null), (refreshed.GrantType, refreshed.Error));
        Assert.Equal([TestTokenServer.ApiResource], refreshed.Values("resource"));
        Assert.Null(refreshed.Value("audience")); // a refresh keeps its token's audience
    }

    [Fact]
    public async Task A_resource_the_server_does_not_know_is_refused_with_exit_code_2()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--resource", "https://unknown.example.org/"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'invalid_target'", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task Login_asks_for_the_resource_in_the_browser_and_at_the_token_endpoint()
    {
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        Uri? opened = null;
        _tool.Browser = address =>
        {
            opened = address;
            var redirect = _tool.Server.LogInAsync(address).GetAwaiter().GetResult();
            _ = browser.GetAsync(redirect);
            return true;
        };
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--resource", TestTokenServer.ApiResource));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(TestTokenServer.ApiResource, System.Web.HttpUtility.ParseQueryString(opened!.Query)["resource"]);
        var request = Assert.Single(_tool.Server.Ledger.TokenRequestLog);
        Assert.Equal((GrantTypes.AuthorizationCode, null), (request.GrantType, request.Error));
        Assert.Equal([TestTokenServer.ApiResource], request.Values("resource"));
        var settings = await ClientSettings.ReadAsync(_tool.StoreDirectory, "device", default);
        Assert.Equal([TestTokenServer.ApiResource], settings!.Resource);
    }

    [Fact]
    public async Task An_expired_assertion_file_is_refused_by_the_tool_saying_so_and_is_never_sent()
    {
        var jwt = _tool.Server.WorkloadIssuer.CreateToken(lifetime: TimeSpan.Zero);
        var file = Write("sa-token", jwt);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.WorkloadClientId, "inventory", "--client-assertion-file", file, "--json"));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"the JWT in --client-assertion-file '{file}' expired at ", run.Error, StringComparison.Ordinal);
        Assert.Contains("and was not sent", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("ClientAssertionPath", run.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(ExitCodes.UsageError, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
        Assert.DoesNotContain(jwt, run.All, StringComparison.Ordinal);
        Assert.Empty(_tool.Server.Ledger.TokenRequestLog);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task A_missing_assertion_file_is_a_usage_error_naming_the_flag_before_the_server_is_asked()
    {
        var missing = Path.Combine(_files, "no-such-token");
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PublicClientId, "inventory", "--grant", "jwt-bearer", "--client-assertion-file", missing));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--client-assertion-file '{missing}' cannot be read (FileNotFoundException).", run.Error, StringComparison.Ordinal);
        Assert.Empty(_tool.Server.Ledger.TokenRequestLog);
    }

    public void Dispose()
    {
        _tool.Dispose();
        Directory.Delete(_files, recursive: true);
    }

    /// <summary>An access token the server issued to basic-client (client_credentials), as another tool would have put in a file.</summary>
    private async Task<string> AccessTokenOfBasicClientAsync()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--json"));
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    private static void AssertHoldsNone(string text, params string[] credentials)
    {
        foreach (var credential in credentials)
        {
            Assert.DoesNotContain(credential, text, StringComparison.Ordinal);
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_files, name);
        File.WriteAllText(path, content);
        return path;
    }
}
