using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.Internal;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// <c>inspect</c>: what a JWT says about itself (issuer, subject, client, type, scope, when it expires), read without
/// checking its signature. Neither the token nor its signature is ever printed.
/// </summary>
internal static class InspectCommand
{
    private static readonly string[] HeaderFields = ["alg", "kid", "typ", "enc"];
    private static readonly string[] TextClaims = ["iss", "sub", "azp", "client_id", "typ", "scope", "sid"];

    public static Command Create(CliEnvironment environment, Option<bool> json)
    {
        var token = new Argument<string?>("token")
        {
            Description = "The token, or - to read it from standard input (safer: an argument shows in the process list).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var store = new Option<string>("--store") { Description = "Inspect the refresh token kept in this file store directory." };
        var client = new Option<string>("--client") { Description = "The client name in the store." };
        var command = new Command("inspect", "Decode a JWT's header and claims (iss, sub, azp, typ, scope, iat, exp); never prints the token or its signature.");
        command.Arguments.Add(token);
        command.Options.Add(store);
        command.Options.Add(client);

        command.SetAction((parsed, cancellationToken) =>
        {
            var output = new CommandOutput(environment, parsed.GetValue(json));
            return output.RunAsync(
                async () =>
                {
                    var text = await ReadAsync(parsed.GetValue(token), parsed.GetValue(store), parsed.GetValue(client), environment, cancellationToken)
                        .ConfigureAwait(false);
                    Describe(text, environment.Time.GetUtcNow(), output);
                },
                cancellationToken);
        });
        return command;
    }

    private static async Task<string> ReadAsync(string? argument, string? directory, string? clientName, CliEnvironment environment, CancellationToken cancellationToken)
    {
        if (directory is not null)
        {
            if (argument is not null || string.IsNullOrWhiteSpace(clientName))
            {
                throw new CliException(ExitCodes.UsageError, "Give a token, -, or --store DIR --client NAME.");
            }

            return await new FileRefreshTokenStore(directory, TokenProtection.None).GetAsync(clientName, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException(ExitCodes.UsageError, $"The store {directory} holds no refresh token for client '{clientName}'.");
        }

        var text = argument == "-" ? await environment.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) : argument;
        return string.IsNullOrWhiteSpace(text)
            ? throw new CliException(ExitCodes.UsageError, "Give a token, -, or --store DIR --client NAME.")
            : text.Trim();
    }

    private static void Describe(string text, DateTimeOffset now, CommandOutput output)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException)
        {
            throw new CliException(ExitCodes.UsageError, "This is not a JWT (an opaque token, or not a token at all): only its issuer can say what it means.");
        }

        var header = new JsonObject();
        foreach (var field in HeaderFields)
        {
            if (jwt.TryGetHeaderValue<string>(field, out var value))
            {
                header[field] = value;
            }
        }

        var claims = new JsonObject();
        if (!jwt.IsEncrypted)
        {
            foreach (var claim in TextClaims)
            {
                if (jwt.TryGetPayloadValue<string>(claim, out var value))
                {
                    claims[claim] = value;
                }
            }

            if (jwt.Audiences.ToArray() is { Length: > 0 } audiences)
            {
                claims["aud"] = string.Join(" ", audiences);
            }
        }

        var issuedAt = NumericDate(jwt, "iat");
        var expiresAt = NumericDate(jwt, "exp");
        if (output.IsJson)
        {
            output.Json(new JsonObject
            {
                ["encrypted"] = jwt.IsEncrypted,
                ["header"] = header,
                ["claims"] = claims,
                ["issued_at"] = issuedAt?.ToString("O", CultureInfo.InvariantCulture),
                ["expires_at"] = expiresAt?.ToString("O", CultureInfo.InvariantCulture),
                ["expired"] = expiresAt < now,
            });
            return;
        }

        foreach (var (name, value) in header)
        {
            output.Data($"header.{name}: {value}");
        }

        if (jwt.IsEncrypted)
        {
            output.Data("encrypted: yes (a JWE): only the server that issued it can read its claims.");
            return;
        }

        foreach (var (name, value) in claims)
        {
            output.Data($"{name}: {value}");
        }

        output.Data($"iat: {(issuedAt is { } issued ? GrantReport.Describe(issued) : "none")}");
        output.Data(expiresAt switch
        {
            null => "exp: never (no exp claim: it lives until revoked, or until unused for too long, like Keycloak's offline tokens)",
            { } at when at < now => $"exp: {GrantReport.Describe(at)} (expired {Span(now - at)} ago)",
            { } at => $"exp: {GrantReport.Describe(at)} (in {Span(at - now)})",
        });
    }

    private static DateTimeOffset? NumericDate(JsonWebToken jwt, string claim) =>
        !jwt.IsEncrypted && jwt.TryGetPayloadValue<long>(claim, out var seconds) && seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static string Span(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{span.TotalDays:0.#} days"
        : span.TotalHours >= 1 ? $"{span.TotalHours:0.#} hours"
        : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0} minutes"
        : $"{span.TotalSeconds:0} seconds";
}
