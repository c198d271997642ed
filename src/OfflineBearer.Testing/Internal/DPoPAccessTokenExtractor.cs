using Microsoft.AspNetCore;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Reads the access token of <c>Authorization: DPoP &lt;token&gt;</c> (RFC 9449 section 7.1); OpenIddict's own extractor
/// reads only the Bearer scheme. Whether the token may come with this scheme is <see cref="DPoPResourceCheck"/>'s call.
/// </summary>
internal sealed class DPoPAccessTokenExtractor : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    private const string Prefix = DPoP.Scheme + " ";

    public static OpenIddictValidationHandlerDescriptor Descriptor { get; } =
        OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseSingletonHandler<DPoPAccessTokenExtractor>()
            .SetOrder(OpenIddictValidationAspNetCoreHandlers.ExtractAccessTokenFromAuthorizationHeader.Descriptor.Order + 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (string.IsNullOrEmpty(context.AccessToken)
            && context.Transaction.GetHttpRequest() is { } request
            && AccessTokenOf(request) is { } token)
        {
            context.AccessToken = token;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The token of a single <c>Authorization: DPoP</c> header, or null.</summary>
    public static string? AccessTokenOf(HttpRequest request)
    {
        var values = request.Headers.Authorization;
        return values.Count == 1 && values[0] is { } value && value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            && value[Prefix.Length..].Trim() is { Length: > 0 } token
            ? token
            : null;
    }
}
