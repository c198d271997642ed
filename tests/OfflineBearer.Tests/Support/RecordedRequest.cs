using System.Net.Http.Headers;

namespace OfflineBearer.Tests.Support;

/// <summary>What a mock server saw of one request, read before the request is disposed.</summary>
internal sealed record RecordedRequest(
    HttpMethod Method,
    Uri Uri,
    AuthenticationHeaderValue? Authorization,
    string Body,
    IReadOnlyDictionary<string, string> Form,
    IReadOnlyDictionary<string, string> Headers)
{
    public string? BearerToken => Authorization is { Scheme: "Bearer" } auth ? auth.Parameter : null;

    public string? GrantType => Form.GetValueOrDefault("grant_type");

    public static async Task<RecordedRequest> ReadAsync(HttpRequestMessage request)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync();
        var form = request.Content?.Headers.ContentType?.MediaType == "application/x-www-form-urlencoded"
            ? body.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2))
                .GroupBy(kv => Uri.UnescapeDataString(kv[0].Replace('+', ' ')))
                // A repeated field (resource, RFC 8707) keeps its values in order, joined by a space.
                .ToDictionary(group => group.Key, group => string.Join(" ", group.Select(kv => Uri.UnescapeDataString(kv[1].Replace('+', ' ')))))
            : new Dictionary<string, string>();
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new RecordedRequest(request.Method, request.RequestUri!, request.Headers.Authorization, body, form, headers);
    }
}
