using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The end-user verification page of the device flow (RFC 8628 3.3), reached through OpenIddict's passthrough. GET
/// shows the form (user code, user name, password, Approve/Deny); POST approves or denies the device code behind the
/// user code, and OpenIddict redirects to <see cref="DonePath"/>. A wrong user code or password shows the form again.
/// </summary>
internal static class VerificationEndpoint
{
    public const string Path = "connect/verify";
    public const string DonePath = "connect/verify/done";

    /// <summary>Form fields of the verification page.</summary>
    public const string UserCodeField = "user_code";
    public const string UserNameField = "username";
    public const string PasswordField = "password";
    public const string ActionField = "action";
    public const string Approve = "approve";
    public const string Deny = "deny";

    private const string Scheme = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    public static void MapVerificationEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/" + Path, [HttpMethods.Get, HttpMethods.Post], (Delegate)HandleAsync);
        endpoints.MapGet("/" + DonePath, (string? outcome) => HtmlForm.Page(
            title: outcome == Approve ? "Device approved" : "Device denied",
            message: "You can close this window and return to your device.",
            action: "/" + Path,
            hidden: [],
            fields: string.Empty,
            buttons: HtmlForm.Button("Verify another device")));
    }

    private static async Task<IResult> HandleAsync(HttpContext http)
    {
        // OpenIddict has looked the user code up (from the query or the form): a principal means it is valid and pending.
        var result = await http.AuthenticateAsync(Scheme).ConfigureAwait(false);
        var userCode = result.Properties?.GetTokenValue(OpenIddictServerAspNetCoreConstants.Tokens.UserCode);
        var valid = result.Succeeded && !string.IsNullOrEmpty(result.Principal?.GetClaim(Claims.ClientId));

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return Form(userCode, string.IsNullOrEmpty(userCode) || valid ? null : InvalidCode);
        }

        if (!valid)
        {
            return Form(userCode, InvalidCode);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        if (form[UserNameField] != TestTokenServer.UserName || form[PasswordField] != TestTokenServer.Password)
        {
            return Form(userCode, "The user name or password is wrong.");
        }

        if (form[ActionField] == Deny)
        {
            // OpenIddict marks the device code rejected; its next poll gets access_denied.
            return Results.Forbid(Done(Deny), [Scheme]);
        }

        if (form[ActionField] != Approve)
        {
            return Form(userCode, "Choose Approve or Deny.");
        }

        return Results.SignIn(UserPrincipal.Create(TestTokenServer.UserName, result.Principal!.GetScopes()), Done(Approve), Scheme);
    }

    private const string InvalidCode = "The code is not valid or has expired. Check it and try again.";

    private static AuthenticationProperties Done(string outcome) => new() { RedirectUri = $"/{DonePath}?outcome={outcome}" };

    private static IResult Form(string? userCode, string? message) =>
        HtmlForm.Page(
            title: "Connect a device",
            message,
            action: "/" + Path,
            hidden: [],
            fields: HtmlForm.Text("Code shown on the device", UserCodeField, userCode)
                + HtmlForm.Text("User name", UserNameField)
                + HtmlForm.Text("Password", PasswordField, password: true),
            buttons: HtmlForm.Button("Approve", ActionField, Approve) + HtmlForm.Button("Deny", ActionField, Deny));
}
