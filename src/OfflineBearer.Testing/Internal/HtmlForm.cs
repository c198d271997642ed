using System.Net;
using System.Text;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The bare HTML of the login and verification pages: enough for a person with a browser and for a test that posts
/// the form back. Every value is HTML-encoded.
/// </summary>
internal static class HtmlForm
{
    public static IResult Page(string title, string? message, string action, IEnumerable<KeyValuePair<string, string>> hidden, string fields, string buttons, int statusCode = StatusCodes.Status200OK)
    {
        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title></head><body>\n")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n");

        if (message is not null)
        {
            html.Append("<p role=\"alert\">").Append(Encode(message)).Append("</p>\n");
        }

        html.Append("<form method=\"post\" action=\"").Append(Encode(action)).Append("\">\n");
        foreach (var (name, value) in hidden)
        {
            html.Append(Hidden(name, value)).Append('\n');
        }

        html.Append(fields).Append(buttons).Append("</form>\n</body></html>\n");

        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    public static string Text(string label, string name, string? value = null, bool password = false) =>
        $"<p><label>{Encode(label)} <input type=\"{(password ? "password" : "text")}\" name=\"{Encode(name)}\" value=\"{Encode(value ?? string.Empty)}\"></label></p>\n";

    public static string Button(string label, string? name = null, string? value = null) =>
        name is null
            ? $"<button type=\"submit\">{Encode(label)}</button>\n"
            : $"<button type=\"submit\" name=\"{Encode(name)}\" value=\"{Encode(value ?? string.Empty)}\">{Encode(label)}</button>\n";

    public static string Hidden(string name, string value) =>
        $"<input type=\"hidden\" name=\"{Encode(name)}\" value=\"{Encode(value)}\">";

    public static string Encode(string value) => WebUtility.HtmlEncode(value);
}
