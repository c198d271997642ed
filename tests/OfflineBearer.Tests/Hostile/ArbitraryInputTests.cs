using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OfflineBearer.Handler;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.Hostile;

/// <summary>
/// Issue #4, section 3: arbitrary input never makes the readers of token responses, token lifetimes and challenges
/// throw; they answer with their typed "no" (null, or a <see cref="TokenResponse.Problem"/>) instead.
/// </summary>
public sealed class ArbitraryInputTests
{
    private const int Runs = 500;

    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly long NowSeconds = Now.ToUnixTimeSeconds();

    private static readonly string[] ResponseKeys =
        ["access_token", "token_type", "expires_in", "refresh_token", "scope", "error", "error_description", "id_token"];

    /// <summary>exp and iat twice, so that they come up (and come up duplicated) often.</summary>
    private static readonly string[] ClaimKeys = ["exp", "iat", "nbf", "sub", "exp", "iat"];

    private static readonly string[] ChallengeParameters = ["realm", "scope", "error_description", "error_uri", "algs"];

    [Property(MaxTest = Runs)]
    public void Reading_the_lifetime_of_any_string_never_throws_and_stays_in_range(NonNull<string> token, long? expiresIn, DateTimeOffset now)
    {
        var lifetime = TokenLifetime.Read(token.Get, expiresIn, now);

        AssertInRange(lifetime);
    }

    [Property(MaxTest = Runs)]
    public Property Reading_the_lifetime_of_any_jwt_shaped_token_never_throws_and_stays_in_range() =>
        Prop.ForAll(
            (from token in JwtShaped()
             from expiresIn in Gen.OneOf(Gen.Constant((long?)null), ArbMap.Default.GeneratorFor<long>().Select(s => (long?)s), Gen.Constant((long?)300))
             from skew in Gen.Choose(-86_400, 86_400)
             select (token, expiresIn, now: Now.AddSeconds(skew))).ToArbitrary(),
            input => AssertInRange(TokenLifetime.Read(input.token, input.expiresIn, input.now)));

    [Property(MaxTest = Runs)]
    public void Parsing_any_bytes_never_throws_and_a_success_has_a_token(byte[] body, bool success)
    {
        var response = TokenResponse.Parse(body, success);

        AssertConsistent(response);
    }

    [Property(MaxTest = Runs)]
    public Property Parsing_any_json_object_of_the_known_keys_never_throws_and_a_success_has_a_token() =>
        Prop.ForAll(
            (from body in TokenResponseShaped()
             from success in ArbMap.Default.GeneratorFor<bool>()
             select (body, success)).ToArbitrary(),
            input => AssertConsistent(TokenResponse.Parse(input.body.Bytes, input.success)));

    [Property(MaxTest = Runs)]
    public void Reading_a_parameter_of_any_string_never_throws(string parameters) =>
        _ = BearerChallenge.ReadParameter(parameters, "error");

    [Property(MaxTest = Runs)]
    public Property Reading_a_parameter_of_any_challenge_shaped_string_never_throws() =>
        Prop.ForAll(
            Gen.ListOf(Gen.OneOf(
                    Gen.Elements("error", "Error", "realm", "=", "\"", ",", " ", "\t", "invalid_token", "\\", "Bearer", "=\""),
                    ArbMap.Default.GeneratorFor<char>().Select(c => c.ToString())))
                .Select(string.Concat)
                .ToArbitrary(),
            parameters => _ = BearerChallenge.ReadParameter(parameters, "error"));

    [Property(MaxTest = Runs)]
    public Property A_well_formed_parameter_list_gives_back_its_first_error() =>
        Prop.ForAll(
            (from before in Gen.ListOf(Parameter(Gen.Elements(ChallengeParameters)))
             from error in Gen.Elements<string?>(null, "invalid_token", "insufficient_scope", "", "invalid request")
             from quoted in ArbMap.Default.GeneratorFor<bool>()
             from after in Gen.ListOf(Parameter(Gen.Elements(ChallengeParameters.Append("error").ToArray())))
             select (before, error, quoted, after)).ToArbitrary(),
            input =>
            {
                var (before, error, quoted, after) = input;
                var errorParameter = error is null ? [] : new[] { quoted || error.Contains(' ', StringComparison.Ordinal) || error.Length == 0 ? $"error=\"{error}\"" : $"error={error}" };
                string[] all = [.. before, .. errorParameter, .. after];
                var parameters = string.Join(", ", all);

                var read = BearerChallenge.ReadParameter(parameters, "error");

                var expected = error ?? FirstError(after);
                Assert.True(read == expected, $"'{parameters}': expected '{expected}', got '{read}'");
            });

    [Property(MaxTest = Runs)]
    public void Deciding_on_any_challenge_header_never_throws(string[] lines)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        foreach (var line in lines ?? [])
        {
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", line);
        }

        _ = BearerChallenge.AsksForNewToken(response.Headers);
    }

    private static void AssertInRange(TimeSpan? lifetime) =>
        Assert.True(
            lifetime is null || (lifetime > TimeSpan.Zero && lifetime <= TokenLifetime.Longest),
            $"lifetime {lifetime} is outside (0, {TokenLifetime.Longest}]");

    private static void AssertConsistent(TokenResponse response)
    {
        if (response.IsSuccess)
        {
            Assert.False(string.IsNullOrEmpty(response.AccessToken), "a success without an access token");
            Assert.True(response.ExpiresIn is null or > 0, $"expires_in {response.ExpiresIn}");
        }
        else
        {
            Assert.True(response.Problem is not null || response.Error is not null, "neither a success, nor a problem, nor an error");
        }
    }

    private static string? FirstError(IEnumerable<string> parameters) =>
        parameters.Where(p => p.StartsWith("error=", StringComparison.Ordinal)).Select(p => p["error=".Length..].Trim('"')).FirstOrDefault();

    /// <summary>name=token or name="quoted string", with values free of quotes, backslashes and commas.</summary>
    private static Gen<string> Parameter(Gen<string> names) =>
        from name in names
        from value in Gen.Elements("api", "invalid_token", "a b", "x=y", "ES256 PS256", "", "ünï")
        from quoted in ArbMap.Default.GeneratorFor<bool>()
        select quoted || value.Contains(' ', StringComparison.Ordinal) || value.Contains('=', StringComparison.Ordinal) || value.Length == 0
            ? $"{name}=\"{value}\""
            : $"{name}={value}";

    /// <summary>
    /// Three base64url segments (sometimes four or five); the header and payload are JSON-ish, with exp, iat and nbf of
    /// any JSON type, numbers often near now, and sometimes bytes that are not UTF-8.
    /// </summary>
    private static Gen<string> JwtShaped() =>
        from header in Gen.Frequency(
            (4, Gen.Elements("""{"alg":"RS256","typ":"JWT"}""", """{"alg":"none"}""")),
            (1, Gen.Elements("""{"alg":"RSA-OAEP","enc":"A256GCM"}""", "{}", "[]", "null", "not json", """{"alg":5}""")),
            (1, JsonValue(2)))
        from payload in Gen.Frequency(
            (6, PlausibleClaims()),
            (2, JsonObject(ClaimKeys, 2)),
            (1, JsonValue(3)),
            (1, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")))
        from payloadBytes in Gen.Frequency(
            (6, Gen.Constant(Encoding.UTF8.GetBytes(payload))),
            (1, ArbMap.Default.GeneratorFor<byte[]>().Select(bytes => (byte[])[.. Encoding.UTF8.GetBytes(payload), .. bytes ?? []])))
        from signature in Gen.Frequency((4, Gen.Constant("c2ln")), (1, Gen.Elements("", "!!", "a.b", "a.b.c")))
        select $"{Jwt.Encode(header)}.{Jwt.Encode(payloadBytes)}.{signature}";

    /// <summary>exp and iat mostly numbers near now (iat sometimes missing), sometimes any JSON; a few well-formed other claims.</summary>
    private static Gen<string> PlausibleClaims() =>
        from exp in Gen.Frequency((4, NearNow()), (1, JsonValue(1)))
        from iat in Gen.Frequency((2, NearNow()), (1, Gen.Constant("")), (1, JsonValue(1)))
        from others in Gen.SubListOf("\"sub\":\"svc\"", "\"scope\":\"a b\"", "\"ünï\":\"✓ 🔑\"", "\"pad\":[1,{\"exp\":\"x\"}]")
        select "{" + string.Concat(others.Select(claim => claim + ",")) + (iat.Length == 0 ? "" : $"\"iat\":{iat},") + $"\"exp\":{exp}}}";

    private static Gen<string> NearNow() =>
        Gen.Choose(-100_000, 100_000).Select(d => (NowSeconds + d).ToString(CultureInfo.InvariantCulture));

    /// <summary>A JSON object of the token response's keys (and a stranger) with values of any type, as UTF-8 or as raw bytes.</summary>
    private static Gen<Body> TokenResponseShaped() =>
        from json in JsonObject([.. ResponseKeys, "x"], 2)
        from bytes in Gen.Frequency(
            (3, Gen.Constant(Encoding.UTF8.GetBytes(json))),
            (1, InvalidUtf8Inside(json)))
        select new Body(bytes);

    /// <summary>The text with bytes that are not UTF-8 spliced in, mostly just after a quote (so inside a key or a string).</summary>
    private static Gen<byte[]> InvalidUtf8Inside(string json) =>
        from at in Gen.Frequency(
            (3, Gen.Elements(Enumerable.Range(0, json.Length).Where(i => json[i] == '"').Select(i => i + 1).DefaultIfEmpty(0).ToArray())),
            (1, Gen.Choose(0, json.Length)))
        from bad in Gen.Elements<byte[]>([0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80])
        select (byte[])[.. Encoding.UTF8.GetBytes(json[..at]), .. bad, .. Encoding.UTF8.GetBytes(json[at..])];

    private static Gen<string> JsonObject(string[] keys, int depth) =>
        from count in Gen.Choose(0, 10)
        from members in Gen.ListOf(
            from key in Gen.Elements(keys)
            from value in JsonValue(depth)
            select $"\"{key}\":{value}",
            count)
        select "{" + string.Join(",", members) + "}";

    /// <summary>JSON text of any type; strings include escapes, lone surrogates and text that is not escaped at all.</summary>
    private static Gen<string> JsonValue(int depth)
    {
        var leaves = Gen.Frequency(
            (2, Gen.Elements(
                "0", "-0", "1", "-1", "2", "300", "1.5", "300.5", "1e400", "-1e400", "1e-400", "1E+10", "99999999999", "100000000000",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616", "0.1e1")),
            (1, Gen.Elements("true", "false", "null")),
            (3, Gen.Elements(
                "\"\"", "\"300\"", "\"-1\"", "\"Bearer\"", "\"bearer\"", "\"mac\"", "\"\\ud800\"", "\"\\udc00x\"", "\"x\\ud83d\"",
                "\"\\u0000\"", "\"a\\r\\nb\"", "\"t\\u00f6k\\u00e9n\"", "\"\\ud83d\\ude00\"", "\"\\x\"", "\"\\u12\"")),
            (2, Gen.Choose(-100_000, 100_000).Select(d => (NowSeconds + d).ToString(CultureInfo.InvariantCulture))),
            (1, Gen.Choose(-100_000, 100_000).Select(d => $"\"{(NowSeconds + d).ToString(CultureInfo.InvariantCulture)}\"")),
            (1, ArbMap.Default.GeneratorFor<long>().Select(n => n.ToString(CultureInfo.InvariantCulture))),
            (1, ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
            (2, ArbMap.Default.GeneratorFor<string>().Select(s => JsonSerializer.Serialize(s ?? ""))),
            (1, ArbMap.Default.GeneratorFor<string>().Select(s => $"\"{s}\"")));
        if (depth == 0)
        {
            return leaves;
        }

        var inner = JsonValue(depth - 1);
        return Gen.Frequency(
            (6, leaves),
            (1, Gen.Choose(0, 4).SelectMany(count => Gen.ListOf(inner, count)).Select(items => "[" + string.Join(",", items) + "]")),
            (1, JsonObject(ClaimKeys, depth - 1)));
    }

    /// <summary>Bytes that print as text when a property fails, with each byte that is not UTF-8 shown as \xNN.</summary>
    private sealed record Body(byte[] Bytes)
    {
        public override string ToString()
        {
            var text = new StringBuilder();
            var rest = Bytes.AsSpan();
            while (!rest.IsEmpty)
            {
                if (Rune.DecodeFromUtf8(rest, out var rune, out var consumed) == OperationStatus.Done)
                {
                    text.Append(rune.ToString());
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $"\\x{rest[0]:X2}");
                    consumed = 1;
                }

                rest = rest[consumed..];
            }

            return text.ToString();
        }
    }
}
