using System.Buffers;
using System.Buffers.Text;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// <c>inspect</c>: what a JWT says about itself, read without checking its signature: every header field and claim in
/// the token's order (nested values as compact JSON, NumericDates also as dates), or with <c>--json</c> the decoded
/// header and payload whole. Neither the token (nor any segment of it) nor its signature is ever printed.
/// </summary>
internal static class InspectCommand
{
    // NumericDate claims (RFC 7519, and OpenID Connect's auth_time): shown as dates beside their value.
    private static readonly string[] DateClaims = ["iat", "nbf", "exp", "auth_time"];

    // Compact, relaxed like the rest of the output: it goes to a terminal or a script, never into HTML.
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonDocumentOptions NoDuplicates = new() { AllowDuplicateProperties = false };

    public static Command Create(CliEnvironment environment, Option<bool> json)
    {
        var token = new Argument<string?>("token")
        {
            Description = "The token, or - to read it from standard input (safer: an argument shows in the process list).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var store = new Option<string>("--store") { Description = "Inspect the refresh token kept in this file store directory." };
        var client = new Option<string>("--client") { Description = "The client name in the store." };
        var command = new Command("inspect", "Decode a JWT's header and all its claims (iat, nbf, exp, auth_time also as dates); never prints the token or its signature.");
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

        // The decoded JSON itself, so every field shows, in the token's order, with its JSON type; an encrypted token's
        // payload is ciphertext, so it has a header and no claims.
        using var header = Decode(jwt.EncodedHeader);
        using var payload = jwt.IsEncrypted ? null : Decode(jwt.EncodedPayload);
        var expiresAt = NumericDate(jwt, "exp");
        if (output.IsJson)
        {
            output.Json(new JsonObject
            {
                ["encrypted"] = jwt.IsEncrypted,
                ["header"] = JsonObject.Create(header.RootElement),
                ["claims"] = payload is null ? new JsonObject() : JsonObject.Create(payload.RootElement),
                ["issued_at"] = Iso(NumericDate(jwt, "iat")),
                ["not_before"] = Iso(NumericDate(jwt, "nbf")),
                ["expires_at"] = Iso(expiresAt),
                ["authenticated_at"] = Iso(NumericDate(jwt, "auth_time")),
                ["expired"] = expiresAt < now,
            });
            return;
        }

        foreach (var field in header.RootElement.EnumerateObject())
        {
            output.Data($"header.{Readable(field.Name)}: {Readable(field.Value)}");
        }

        if (payload is null)
        {
            output.Data("encrypted: yes (a JWE): only the server that issued it can read its claims.");
            return;
        }

        foreach (var claim in payload.RootElement.EnumerateObject())
        {
            output.Data($"{Readable(claim.Name)}: {Readable(claim.Value)}{AsDate(jwt, claim.Name, now)}");
        }

        if (!payload.RootElement.TryGetProperty("iat", out _))
        {
            output.Data("iat: none");
        }

        if (!payload.RootElement.TryGetProperty("exp", out _))
        {
            output.Data("exp: never (no exp claim: it lives until revoked, or until unused for too long, like Keycloak's offline tokens)");
        }
    }

    private static JsonDocument Decode(string segment)
    {
        try
        {
            return JsonDocument.Parse(Base64Url.DecodeFromChars(segment), NoDuplicates);
        }
        catch (JsonException)
        {
            // The only JSON the token's own reader accepts and this refuses: RFC 7519 lets a reader refuse it, and
            // showing one value would hide that servers may read the other.
            throw new CliException(ExitCodes.UsageError, "This JWT names a header field or a claim twice: which one counts depends on who reads it.");
        }
    }

    /// <summary>The date a NumericDate claim stands for, after its value: when the token expires also from now.</summary>
    private static string AsDate(JsonWebToken jwt, string claim, DateTimeOffset now) =>
        !DateClaims.Contains(claim) || NumericDate(jwt, claim) is not { } at ? string.Empty
        : claim != "exp" ? $" = {GrantReport.Describe(at)}"
        : at < now ? $" = {GrantReport.Describe(at)} (expired {Span(now - at)} ago)"
        : $" = {GrantReport.Describe(at)} (in {Span(at - now)})";

    private static string? Iso(DateTimeOffset? moment) => moment?.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A string as it is, unless a control character would break the line or drive the terminal: as JSON.</summary>
    private static string Readable(string text) =>
        text.Any(char.IsControl) ? $"\"{JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\"" : text;

    /// <summary>A string as text; anything else (number, true, null, object, array) as compact JSON.</summary>
    private static string Readable(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return Readable(value.GetString()!);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // 253402300799: DateTimeOffset.MaxValue's second (9999-12-31 23:59:59 UTC), the last one a date can show.
    private static DateTimeOffset? NumericDate(JsonWebToken jwt, string claim) =>
        !jwt.IsEncrypted && jwt.TryGetPayloadValue<long>(claim, out var seconds) && seconds is > 0 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static string Span(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{span.TotalDays:0.#} days"
        : span.TotalHours >= 1 ? $"{span.TotalHours:0.#} hours"
        : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0} minutes"
        : $"{span.TotalSeconds:0} seconds";
}
