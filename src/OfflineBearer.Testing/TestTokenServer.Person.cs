using System.Net;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using OpenIddict.Abstractions;

namespace OfflineBearer.Testing;

// What a person does over HTTP: gets an offline token out of band, signs in at the login form, approves a device.
public sealed partial class TestTokenServer
{
    /// <summary>
    /// Gets a fresh offline refresh token for <see cref="PublicClientId"/> with the password grant over HTTP, as a user
    /// would obtain one out of band. The request shows in <see cref="Ledger"/> like any other.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The refresh token.</returns>
    public async Task<string> GetPublicClientOfflineTokenAsync(CancellationToken cancellationToken = default)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [OpenIddictConstants.Parameters.GrantType] = OpenIddictConstants.GrantTypes.Password,
            [OpenIddictConstants.Parameters.ClientId] = PublicClientId,
            [OpenIddictConstants.Parameters.Username] = UserName,
            [OpenIddictConstants.Parameters.Password] = Password,
            [OpenIddictConstants.Parameters.Scope] = $"{OpenIddictConstants.Scopes.OfflineAccess} {ApiScope}",
        });

        using var response = await _http.PostAsync(TokenEndpoint, form, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken).ConfigureAwait(false);

        return body?.RefreshToken ?? throw new InvalidOperationException(
            $"The password grant for '{PublicClientId}' returned no refresh token: HTTP {(int)response.StatusCode} {body?.Error}.");
    }

    /// <summary>
    /// Acts as the person at the browser in the authorization code flow: requests <paramref name="authorizationUrl"/>
    /// (the login form), posts the form back with the credentials (or with Deny), and returns where the server
    /// redirects the browser: the client's redirect URI with <c>code</c> and <c>state</c>, or with <c>error</c>. The
    /// returned URL is not requested. Redirects are never followed.
    /// </summary>
    /// <param name="authorizationUrl">The authorization request, e.g. <c>{AuthorizationEndpoint}?response_type=code&amp;…</c>.</param>
    /// <param name="userName">The user name typed in.</param>
    /// <param name="password">The password typed in.</param>
    /// <param name="deny">Presses Deny instead of signing in; the redirect then carries <c>error=access_denied</c>.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The redirect's <c>Location</c>, absolute. If the server refuses the request itself with a redirect
    /// (e.g. no <c>code_challenge</c>), that redirect, without a form being shown.</returns>
    /// <exception cref="InvalidOperationException">No redirect came: the credentials are wrong, or the server refused
    /// the request without a redirect (e.g. an unregistered redirect URI); the message says what the page said.</exception>
    public async Task<Uri> LogInAsync(
        Uri authorizationUrl, string userName = UserName, string password = Password, bool deny = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizationUrl);

        using var page = await _http.GetAsync(authorizationUrl, cancellationToken).ConfigureAwait(false);
        if (RedirectOf(page, authorizationUrl) is { } refused)
        {
            return refused;
        }

        var html = await page.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!page.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"The authorization request was refused without a redirect: HTTP {(int)page.StatusCode}: {Shorten(html)}");
        }

        var fields = HiddenFields(html);
        fields.Add(new(Internal.AuthorizationEndpoint.UserNameField, userName));
        fields.Add(new(Internal.AuthorizationEndpoint.PasswordField, password));
        if (deny)
        {
            fields.Add(new(Internal.AuthorizationEndpoint.DenyField, "true"));
        }

        using var form = new FormUrlEncodedContent(fields);
        using var answer = await _http.PostAsync(AuthorizationEndpoint, form, cancellationToken).ConfigureAwait(false);
        return RedirectOf(answer, AuthorizationEndpoint) ?? throw new InvalidOperationException(
            $"The login was not accepted (HTTP {(int)answer.StatusCode}, no redirect): {Alert(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))}");
    }

    /// <summary>
    /// Acts as the person who enters a device's user code on <see cref="VerificationEndpoint"/>, signs in as
    /// <see cref="UserName"/> and approves or denies. The device's next poll then gets its tokens, or
    /// <c>access_denied</c>.
    /// </summary>
    /// <param name="userCode">The <c>user_code</c> of the device authorization response.</param>
    /// <param name="approve"><see langword="true"/> to approve, <see langword="false"/> to deny.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes once the server has recorded the decision.</returns>
    /// <exception cref="InvalidOperationException">The user code is unknown, already used or expired.</exception>
    public async Task ApproveDeviceAsync(string userCode, bool approve = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userCode);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [Internal.VerificationEndpoint.UserCodeField] = userCode,
            [Internal.VerificationEndpoint.UserNameField] = UserName,
            [Internal.VerificationEndpoint.PasswordField] = Password,
            [Internal.VerificationEndpoint.ActionField] = approve ? Internal.VerificationEndpoint.Approve : Internal.VerificationEndpoint.Deny,
        });

        using var answer = await _http.PostAsync(VerificationEndpoint, form, cancellationToken).ConfigureAwait(false);
        if (RedirectOf(answer, VerificationEndpoint) is null)
        {
            throw new InvalidOperationException(
                $"The device was not {(approve ? "approved" : "denied")} (HTTP {(int)answer.StatusCode}): {Alert(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))}");
        }
    }

    private static Uri? RedirectOf(HttpResponseMessage response, Uri requested) =>
        (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location
            ? new Uri(requested, location)
            : null;

    private static List<KeyValuePair<string, string>> HiddenFields(string html) =>
        [.. HiddenInput().Matches(html).Select(match => new KeyValuePair<string, string>(
            WebUtility.HtmlDecode(match.Groups["name"].Value), WebUtility.HtmlDecode(match.Groups["value"].Value)))];

    private static string Alert(string html) =>
        AlertText().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups["text"].Value) : Shorten(html);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<p role=\"alert\">(?<text>[^<]*)</p>")]
    private static partial Regex AlertText();

    private sealed record TokenResponse(
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("error")] string? Error);
}
