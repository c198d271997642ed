using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.Hostile;

/// <summary>
/// Issue #7, point 4: a token endpoint (or a proxy) whose error answer echoes what it was sent, in any encoding. No
/// exception message, <see cref="OfflineBearerException.Error"/>, <see cref="OfflineBearerException.ErrorDescription"/>,
/// log line or structured log value may carry the secret, the refresh token or the Basic credential in any spelling.
/// </summary>
public sealed class HostileEchoTests
{
    private const string RefreshToken = "offline+token/with \"quotes\" é&=%";

    /// <summary>"gateway-42:" is 11 bytes, so base64 of id:secret does not contain base64 of the secret by accident.</summary>
    private const string ClientId = "gateway-42";

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public enum Authentication
    {
        Basic,
        Post,
        Public,
    }

    /// <summary>How the server spells what it echoes.</summary>
    public static TheoryData<string, Authentication> Echoes
    {
        get
        {
            var data = new TheoryData<string, Authentication>();
            foreach (var encoding in Encodings.Keys)
            {
                foreach (var authentication in Enum.GetValues<Authentication>())
                {
                    data.Add(encoding, authentication);
                }
            }

            return data;
        }
    }

    private static Dictionary<string, Func<string, string>> Encodings => new()
    {
        ["raw"] = s => s,
        ["percent-encoded"] = Uri.EscapeDataString,
        ["form-url-encoded"] = s => WebUtility.UrlEncode(s),
        ["form-url-encoded, lower-case hex"] = s => WebUtility.UrlEncode(s).ToLowerInvariant(),
        ["JSON-escaped"] = s => JsonSerializer.Serialize(s)[1..^1],
        ["JSON-escaped, relaxed"] = s => JsonSerializer.Serialize(s, Relaxed)[1..^1],
        ["base64"] = s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)),
        ["base64url"] = s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
    };

    [Theory]
    [MemberData(nameof(Echoes))]
    public async Task An_echoed_credential_reaches_no_exception_and_no_log_in_any_encoding(string encoding, Authentication authentication)
    {
        using var harness = Create(authentication);
        var encode = Encodings[encoding];
        var secret = authentication == Authentication.Public ? "" : Harness.ClientSecret;
        harness.OnToken = request =>
        {
            // The whole request as received (form body, Authorization header), then each credential spelled this way.
            var echo = $"you sent {request.Body} with {request.Authorization}; secret {encode(secret)}; " +
                $"token {encode(RefreshToken)}; basic {encode(request.Authorization?.Parameter ?? "")}; " +
                $"pair {encode($"{ClientId}:{secret}")}";
            return Task.FromResult(Harness.Json(TokenJson.Error($"invalid_request {echo}", echo), HttpStatusCode.BadRequest));
        };
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        var seen = new[] { error.ToString(), error.Error!, error.ErrorDescription! }
            .Concat(harness.Logs.GetSnapshot().SelectMany(TextOf))
            .ToList();
        foreach (var spelling in Spellings(secret, harness.TokenRequests.Single().Authorization?.Parameter))
        {
            Assert.DoesNotContain(seen, text => text.Contains(spelling, StringComparison.Ordinal));
        }

        Assert.Contains(Redaction.Marker, error.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_description_is_capped_after_redaction_so_no_part_of_a_secret_is_left()
    {
        using var harness = Create(Authentication.Post);
        var description = new string('x', Redaction.MaxLength - 4) + Harness.ClientSecret + new string('y', 10_000);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_request", description), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(Redaction.MaxLength + 1, error.ErrorDescription!.Length);
        Assert.EndsWith("…", error.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.ClientSecret[..4], error.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain("y", error.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_error_code_is_capped()
    {
        using var harness = Create(Authentication.Post);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error(new string('e', 100_000), "no"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(Redaction.MaxLength + 1, error.Error!.Length);
        Assert.True(error.Message.Length < 2 * Redaction.MaxLength, $"a message of {error.Message.Length} characters");
    }

    private static Harness Create(Authentication authentication) => new(o =>
    {
        o.ClientId = ClientId;
        o.RefreshToken = RefreshToken;
        switch (authentication)
        {
            case Authentication.Post:
                o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
                break;
            case Authentication.Public:
                o.ClientSecret = null;
                break;
        }
    });

    /// <summary>Every spelling of every credential of the request, computed here, not by the library.</summary>
    private static IEnumerable<string> Spellings(string secret, string? basicCredential)
    {
        string?[] credentials = [secret, RefreshToken, basicCredential, secret.Length > 0 ? $"{ClientId}:{secret}" : null];
        return credentials.Where(c => !string.IsNullOrEmpty(c)).Cast<string>().SelectMany(credential => Encodings.Values.Select(encode => encode(credential))).Distinct();
    }

    private static IEnumerable<string> TextOf(FakeLogRecord record) =>
        [record.Message, record.Exception?.ToString() ?? "", .. (record.StructuredState ?? []).Select(pair => pair.Value ?? "")];
}
