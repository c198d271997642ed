using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using OfflineBearer.TokenEndpoint;
using OfflineBearer.Tooling;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// <c>login</c>: a person signs in once and the offline token goes where the service reads it. In a browser, the
/// authorization code flow with PKCE on a loopback redirect (RFC 7636, RFC 8252); with <c>--device</c>, the device
/// authorization grant (RFC 8628) for a machine without one.
/// </summary>
internal static class LoginCommand
{
    /// <summary>RFC 8628 3.5: each <c>slow_down</c> adds five seconds to the polling interval.</summary>
    private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    public static Command Create(CliEnvironment environment, Option<bool> json)
    {
        var server = new ServerOptions(TokenRequestFlags.Resource, defaultScope: "openid offline_access");
        var store = new StoreOptions();
        var device = new Option<bool>("--device") { Description = "Sign in on another device (RFC 8628): for a machine without a browser." };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Only print the address to open; do not open a browser." };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the browser's redirect.",
            DefaultValueFactory = _ => 300,
        };
        var port = new Option<int>("--port")
        {
            Description = "The loopback port of the redirect; by default a free one, which a server must accept on any port (RFC 8252). " +
                "Give one for a server that matches the registered redirect URI exactly.",
        };
        var printRefreshToken = new Option<bool>("--print-refresh-token") { Description = "Print the refresh token on standard output." };
        var command = new Command("login", "Sign in as a person (browser with PKCE, or --device) and keep the offline token for a service.");
        server.AddTo(command);
        store.AddTo(command);
        command.Options.Add(device);
        command.Options.Add(noBrowser);
        command.Options.Add(timeout);
        command.Options.Add(port);
        command.Options.Add(printRefreshToken);

        command.SetAction((parsed, cancellationToken) =>
        {
            var output = new CommandOutput(environment, parsed.GetValue(json));
            return output.RunAsync(
                async () =>
                {
                    if (parsed.GetValue(timeout) <= 0)
                    {
                        throw new CliException(ExitCodes.UsageError, "--timeout must be a positive number of seconds.");
                    }

                    if (parsed.GetValue(port) is < 0 or > 65535)
                    {
                        throw new CliException(ExitCodes.UsageError, "--port must be between 1 and 65535 (or 0 for a free one).");
                    }

                    var options = server.Read(parsed, environment);
                    var session = await ClientSession.OpenAsync(options, store.Read(parsed, required: false), environment).ConfigureAwait(false);
                    await using (session.ConfigureAwait(false))
                    {
                        var sentAt = environment.Time.GetUtcNow();
                        var (response, grant) = parsed.GetValue(device)
                            ? (await DeviceAsync(session, output, cancellationToken).ConfigureAwait(false), GrantTypes.DeviceCode)
                            : (await BrowserAsync(
                                session, environment, output, !parsed.GetValue(noBrowser), TimeSpan.FromSeconds(parsed.GetValue(timeout)), parsed.GetValue(port), cancellationToken)
                                .ConfigureAwait(false), GrantTypes.AuthorizationCode);

                        if (response.RefreshToken is null)
                        {
                            throw new CliException(
                                ExitCodes.Refused,
                                "The sign-in worked but the server issued no refresh token: ask for the scope offline_access (the default) and check that this client and user may have offline tokens.");
                        }

                        var kept = await session.KeepAsync(response, sentAt, cancellationToken).ConfigureAwait(false);
                        GrantReport.Write(output, session, response, grant, sentAt, kept, parsed.GetValue(printRefreshToken));
                    }
                },
                cancellationToken);
        });
        return command;
    }

    private static async Task<TokenResponse> BrowserAsync(
        ClientSession session, CliEnvironment environment, CommandOutput output, bool openBrowser, TimeSpan timeout, int port, CancellationToken cancellationToken)
    {
        var endpoint = await session.Endpoint.Discovery.GetEndpointAsync(static m => m.AuthorizationEndpoint, "authorization_endpoint", cancellationToken)
            .ConfigureAwait(false);
        using var listener = new LoopbackRedirectListener(port);
        var pkce = Pkce.Create();
        var address = AuthorizationAddress(endpoint, session.Options, listener.RedirectUri, pkce);

        output.Say($"Open this address in a browser and sign in (waiting {timeout.TotalSeconds:0} seconds):{Environment.NewLine}  {address.AbsoluteUri}");
        if (openBrowser && environment.OpenBrowser(address))
        {
            output.Say("A browser was opened for you.");
        }

        IReadOnlyDictionary<string, string> redirect;
        using (var limit = new CancellationTokenSource(timeout, environment.Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken))
        {
            try
            {
                redirect = await listener.ReceiveAsync(parameters => Page(parameters, pkce.State), linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new CliException(
                    ExitCodes.LoginIncomplete,
                    $"No sign-in came back within {timeout.TotalSeconds:0} seconds: run login again, with --device on a machine without a browser.");
            }
        }

        if (!IsState(redirect, pkce.State))
        {
            throw new CliException(
                ExitCodes.LoginIncomplete,
                "The redirect did not carry this login's state, so it was refused as a forged or stale one: run login again.");
        }

        if (redirect.TryGetValue("error", out var error))
        {
            var description = redirect.GetValueOrDefault("error_description");
            throw new CliException(ExitCodes.Refused, $"The server ended the sign-in with '{error}'{(description is null ? "." : $": {description}")}");
        }

        if (!redirect.TryGetValue("code", out var code) || code.Length == 0)
        {
            throw new CliException(ExitCodes.LoginIncomplete, "The redirect carried neither a code nor an error: run login again.");
        }

        return await session.Endpoint.RequestAsync(UserGrants.AuthorizationCode(code, listener.RedirectUri, pkce.Verifier), cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task<TokenResponse> DeviceAsync(ClientSession session, CommandOutput output, CancellationToken cancellationToken)
    {
        var authorization = await session.Endpoint.RequestDeviceAuthorizationAsync(cancellationToken).ConfigureAwait(false);
        output.Say(
            $"On a device with a browser, open {authorization.VerificationUri.AbsoluteUri} and enter the code {authorization.UserCode}" +
            (authorization.VerificationUriComplete is { } complete ? $"{Environment.NewLine}  (or open {complete.AbsoluteUri})" : string.Empty) +
            $"{Environment.NewLine}Waiting for the approval (the code expires in {authorization.ExpiresIn.TotalMinutes:0.#} minutes)…");

        var time = session.Time;
        var started = time.GetTimestamp();
        var interval = authorization.Interval;
        while (true)
        {
            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            try
            {
                return await session.Endpoint.RequestAsync(UserGrants.DeviceCode(authorization.DeviceCode), cancellationToken).ConfigureAwait(false);
            }
            catch (OfflineBearerException e) when (e.Error is "authorization_pending" or "slow_down")
            {
                if (e.Error == "slow_down")
                {
                    interval += SlowDownStep;
                }

                // A server that never says expired_token must not keep the tool polling for ever.
                if (time.GetElapsedTime(started) >= authorization.ExpiresIn + interval)
                {
                    throw new CliException(ExitCodes.LoginIncomplete, "The code was not approved before it expired: run login --device again.");
                }
            }
        }
    }

    private static Uri AuthorizationAddress(Uri endpoint, OfflineBearerOptions options, Uri redirectUri, Pkce pkce)
    {
        var query = new StringBuilder(endpoint.Query.TrimStart('?'));
        foreach (var (name, value) in new (string, string?)[]
        {
            ("response_type", "code"),
            ("client_id", options.ClientId),
            ("redirect_uri", redirectUri.AbsoluteUri),
            ("scope", options.Scope),
            ("state", pkce.State),
            ("code_challenge", pkce.Challenge),
            ("code_challenge_method", "S256"),
        }.Concat(options.Resource.Select(resource => ("resource", (string?)resource)))) // RFC 8707 2.1: the grant is for these resources
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Append(query.Length == 0 ? string.Empty : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return new UriBuilder(endpoint) { Query = query.ToString() }.Uri;
    }

    private static bool IsState(IReadOnlyDictionary<string, string> redirect, string expected) =>
        redirect.TryGetValue("state", out var state)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(state), Encoding.UTF8.GetBytes(expected));

    private static string Page(IReadOnlyDictionary<string, string> redirect, string expected) =>
        !IsState(redirect, expected) ? "This sign-in was refused: it does not belong to the login that is waiting. Run offline-token login again."
        : redirect.ContainsKey("code") ? "Signed in. You can close this window and return to offline-token."
        : "The sign-in did not complete. Return to offline-token for the reason.";
}
