using Microsoft.AspNetCore;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The login page of the authorization code flow, reached through OpenIddict's passthrough once OpenIddict has
/// checked the client, its loopback redirect URI and the PKCE challenge. GET shows the form; POST with the right
/// credentials signs <see cref="TestTokenServer.UserName"/> in and OpenIddict redirects to the client with the code.
/// </summary>
internal static class AuthorizationEndpoint
{
    public const string Path = "connect/authorize";

    /// <summary>Form fields of the login page besides the authorization request's own parameters.</summary>
    public const string UserNameField = "username";
    public const string PasswordField = "password";
    public const string DenyField = "deny";

    public static void MapAuthorizationEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapMethods("/" + Path, [HttpMethods.Get, HttpMethods.Post], (Delegate)HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request is missing; is passthrough enabled?");

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return LoginForm(request, message: null);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        if (string.Equals(form[DenyField], "true", StringComparison.OrdinalIgnoreCase))
        {
            // OpenIddict answers access_denied to the client's redirect URI.
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        if (form[UserNameField] != TestTokenServer.UserName || form[PasswordField] != TestTokenServer.Password)
        {
            return LoginForm(request, "The user name or password is wrong.");
        }

        // The scopes as asked; OpenIddict has already refused any the client may not have.
        return Results.SignIn(
            UserPrincipal.Create(TestTokenServer.UserName, request.GetScopes()),
            authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult LoginForm(OpenIddictRequest request, string? message)
    {
        // Every parameter of the authorization request rides along, so the POST is the same request plus credentials.
        var hidden = new List<KeyValuePair<string, string>>();
        foreach (var (name, parameter) in request.GetParameters())
        {
            if (name is UserNameField or PasswordField or DenyField)
            {
                continue;
            }

            foreach (var value in (StringValues)parameter)
            {
                if (value is not null)
                {
                    hidden.Add(new(name, value));
                }
            }
        }

        return HtmlForm.Page(
            title: $"Sign in to {request.ClientId}",
            message,
            action: "/" + Path,
            hidden,
            fields: HtmlForm.Text("User name", UserNameField) + HtmlForm.Text("Password", PasswordField, password: true),
            buttons: HtmlForm.Button("Sign in") + HtmlForm.Button("Deny", DenyField, "true"));
    }
}
