using System.Collections.Concurrent;
using System.Text.Json;
using System.Web;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// Watches one client's traffic and hands every credential it sees to <see cref="DevServerHarness"/>, so the harness can
/// prove no log line carries one: Authorization header values (bearer tokens, Basic credentials), the secret and refresh
/// token of a token request's form, and the tokens of a token response. Placed after the bearer handler it also records
/// the access token each API request left with in <c>bearerTokens</c>.
/// </summary>
internal sealed class TokenRecorder(Action<string> remember, ConcurrentQueue<string>? bearerTokens = null) : DelegatingHandler
{
    private static readonly string[] FormFields = ["client_secret", "refresh_token", "password"];
    private static readonly string[] ResponseFields = ["access_token", "refresh_token", "id_token"];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is { Parameter: { } credential } authorization)
        {
            remember(credential);
            if (authorization.Scheme == "Bearer")
            {
                bearerTokens?.Enqueue(credential);
            }
        }

        if (request.Content is FormUrlEncodedContent form)
        {
            var fields = HttpUtility.ParseQueryString(await form.ReadAsStringAsync(cancellationToken));
            foreach (var field in FormFields)
            {
                if (fields[field] is { } value)
                {
                    remember(value);
                }
            }
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            // Buffered, so the library still reads the whole body after this.
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            RememberTokensIn(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }

        return response;
    }

    private void RememberTokensIn(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var field in ResponseFields)
            {
                if (document.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    remember(value.GetString()!);
                }
            }
        }
        catch (JsonException)
        {
            // Not a token response; nothing to remember.
        }
    }
}
