using System.Net;
using System.Text;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>A client secret in a mounted file: read at every token request, so a rotation needs no restart. Default resilience options.</summary>
public sealed class ClientSecretFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ob-secret-").FullName;

    private string SecretFile => Path.Combine(_directory, "client-secret");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_secret_rotated_in_the_file_is_sent_from_the_next_token_request_on()
    {
        File.WriteAllText(SecretFile, "first-secret\n");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("first-secret");
        harness.Secret("second-secret");
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        File.WriteAllText(SecretFile, "second-secret");
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        Assert.Equal(["first-secret", "second-secret"], harness.TokenRequests.Select(SecretOf));
    }

    [Fact]
    public async Task A_client_secret_post_client_sends_the_file_in_the_form()
    {
        File.WriteAllText(SecretFile, "posted-secret");
        using var harness = new Harness(
            o =>
            {
                FromFile(o);
                o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
            },
            userDefaults: true);
        harness.Secret("posted-secret");
        using var client = harness.CreateClient();

        (await client.GetAsync("readings")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Equal("posted-secret", request.Form["client_secret"]);
        Assert.Equal(Harness.ClientId, request.Form["client_id"]);
        Assert.Null(request.Authorization);
    }

    [Fact]
    public async Task A_new_secret_the_server_does_not_accept_yet_is_a_clear_error_and_the_valid_token_keeps_serving()
    {
        File.WriteAllText(SecretFile, "old-secret");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("old-secret");
        harness.Secret("new-secret");
        harness.OnToken = request => Task.FromResult(SecretOf(request) == "old-secret"
            ? Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(10))))
            : Harness.Json(TokenJson.Error("invalid_client", "Invalid client or Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();
        var first = harness.ApiRequests.Single().BearerToken;

        File.WriteAllText(SecretFile, "new-secret");
        harness.Time.Advance(TimeSpan.FromMinutes(8.5)); // inside the refresh window, before expiry
        using var during = await client.GetAsync("during");
        await WaitForAsync(() => harness.TokenRequests.Count >= 2);
        using var after = await client.GetAsync("after");

        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.All(harness.ApiRequests, request => Assert.Equal(first, request.BearerToken));
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("expired"));
        Assert.Equal("invalid_client", error.Error);
        Assert.Contains($"ClientSecretPath '{SecretFile}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("rotated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("new-secret", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("invalid_client")]
    [InlineData("unauthorized_client")]
    public async Task A_refused_secret_from_a_file_is_asked_about_again_a_second_later_not_after_five_minutes(string refusal)
    {
        File.WriteAllText(SecretFile, "mid-rotation");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("mid-rotation");
        var accepted = false;
        harness.OnToken = _ => Task.FromResult(Volatile.Read(ref accepted)
            ? Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5))))
            : Harness.Json(TokenJson.Error(refusal, "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("before"));

        Volatile.Write(ref accepted, true);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var after = await client.GetAsync("after");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_refused_fixed_secret_still_pauses_five_minutes()
    {
        using var harness = new Harness(userDefaults: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("before"));

        harness.Time.Advance(TimeSpan.FromMinutes(4));
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("paused"));

        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_secret_the_server_echoes_from_the_file_never_reaches_the_error()
    {
        File.WriteAllText(SecretFile, "echoed-secret");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("echoed-secret");
        harness.OnToken = request => Task.FromResult(
            Harness.Json(TokenJson.Error("invalid_client", $"secret {SecretOf(request)} / {request.Authorization!.Parameter} refused"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.DoesNotContain("echoed-secret", error.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.TokenRequests.First().Authorization!.Parameter!, error.ErrorDescription, StringComparison.Ordinal);
        Assert.Contains("[redacted]", error.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_rotation_both_the_old_and_the_new_secret_are_redacted_from_what_the_server_echoes()
    {
        File.WriteAllText(SecretFile, "old-rotated-secret");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("old-rotated-secret");
        harness.Secret("new-rotated-secret");
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();
        File.WriteAllText(SecretFile, "new-rotated-secret");
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_client", "expected old-rotated-secret, got new-rotated-secret or inventory-sync:new-rotated-secret"), HttpStatusCode.Unauthorized));
        harness.Time.Advance(TimeSpan.FromMinutes(6));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("second"));

        Assert.DoesNotContain("rotated-secret", error.ErrorDescription, StringComparison.Ordinal);
        Assert.Contains("expected [redacted]", error.ErrorDescription, StringComparison.Ordinal);
        Assert.Contains("else check ClientId and ClientAuthentication", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_secret_is_sent_once_more_when_the_file_changed_meanwhile()
    {
        File.WriteAllText(SecretFile, "stale-secret");
        using var harness = new Harness(FromFile, userDefaults: true);
        harness.Secret("stale-secret");
        harness.Secret("fresh-secret");
        harness.OnToken = request =>
        {
            if (SecretOf(request) == "stale-secret")
            {
                File.WriteAllText(SecretFile, "fresh-secret");
                return Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
            }

            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        };
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("readings");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["stale-secret", "fresh-secret"], harness.TokenRequests.Select(SecretOf));
    }

    private void FromFile(OfflineBearerOptions options)
    {
        options.ClientSecret = null;
        options.ClientSecretPath = SecretFile;
    }

    private static string SecretOf(RecordedRequest request)
    {
        if (request.Form.TryGetValue("client_secret", out var posted))
        {
            return posted;
        }

        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(request.Authorization!.Parameter!));
        return Uri.UnescapeDataString(pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace('+', ' '));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, limit.Token);
        }
    }
}
