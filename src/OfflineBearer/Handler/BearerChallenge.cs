using System.Net.Http.Headers;
using OfflineBearer.DPoP;

namespace OfflineBearer.Handler;

/// <summary>Reads an API's 401 challenge (RFC 6750 section 3) to decide whether a new token could help.</summary>
internal static class BearerChallenge
{
    /// <summary>
    /// True for a challenge of the token's own <paramref name="scheme"/> (Bearer, or DPoP for a DPoP-bound token) with
    /// <c>error="invalid_token"</c> or with no error, and for a bare 401 with no challenge at all. False for
    /// <c>insufficient_scope</c> (a new token cannot widen scope), other errors (such as DPoP's <c>use_dpop_nonce</c>
    /// and <c>invalid_dpop_proof</c>), and challenges of other schemes only (a DPoP challenge to a bearer token asks for
    /// what no new bearer token has).
    /// </summary>
    public static bool AsksForNewToken(HttpResponseHeaders headers, string scheme = "Bearer")
    {
        if (!headers.NonValidated.Contains("WWW-Authenticate"))
        {
            return true;
        }

        foreach (var challenge in headers.WwwAuthenticate)
        {
            if (challenge.Scheme.Equals(scheme, StringComparison.OrdinalIgnoreCase))
            {
                var error = ReadParameter(challenge.Parameter, "error");
                return error is null || error.Equals("invalid_token", StringComparison.Ordinal);
            }
        }

        return false;
    }

    /// <summary>A DPoP challenge with <c>error="use_dpop_nonce"</c> (RFC 9449 9): the proof must carry the server's nonce.</summary>
    public static bool AsksForDPoPNonce(HttpResponseHeaders headers)
    {
        foreach (var challenge in headers.WwwAuthenticate)
        {
            if (challenge.Scheme.Equals(DPoPProofs.Scheme, StringComparison.OrdinalIgnoreCase)
                && ReadParameter(challenge.Parameter, "error") == "use_dpop_nonce")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One auth-param of a challenge (RFC 9110 section 11.2): name=token or name="quoted string".</summary>
    internal static string? ReadParameter(string? parameters, string name)
    {
        var rest = parameters.AsSpan();
        while (!rest.IsEmpty)
        {
            rest = rest.TrimStart(" \t,");
            var equals = rest.IndexOf('=');
            if (equals <= 0)
            {
                return null;
            }

            var key = rest[..equals].Trim();
            rest = rest[(equals + 1)..].TrimStart(" \t");

            string value;
            if (rest.StartsWith('"'))
            {
                var closing = rest[1..].IndexOf('"');
                if (closing < 0)
                {
                    return null;
                }

                value = rest.Slice(1, closing).ToString();
                rest = rest[(closing + 2)..];
            }
            else
            {
                var comma = rest.IndexOf(',');
                var end = comma < 0 ? rest.Length : comma;
                value = rest[..end].Trim().ToString();
                rest = rest[end..];
            }

            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
