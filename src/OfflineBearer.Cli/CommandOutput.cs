using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OfflineBearer.TokenEndpoint;
using StackExchange.Redis;

namespace OfflineBearer.Cli;

/// <summary>
/// Where a command's words go: data (a token, JSON) to standard output, words for a person to standard error, and every
/// failure as one message with its exit code (as JSON on standard output with <c>--json</c>).
/// </summary>
internal sealed class CommandOutput(CliEnvironment environment, bool json)
{
    // Relaxed escaping: the output goes to a terminal or a script, never into HTML, and "+00:00" should read as such.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public bool IsJson => json;

    /// <summary>Instructions and summaries, for a person.</summary>
    public void Say(string text) => environment.Error.WriteLine(text);

    /// <summary>One line of data: the token a script reads.</summary>
    public void Data(string line) => environment.Out.WriteLine(line);

    public void Json(JsonObject document) => environment.Out.WriteLine(document.ToJsonString(Indented));

    /// <summary>Runs a command body and turns what it throws into an exit code and one message.</summary>
    public async Task<int> RunAsync(Func<Task> body, CancellationToken cancellationToken)
    {
        try
        {
            await body().ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (CliException e)
        {
            return Fail(e.ExitCode, e.Message, error: null);
        }
        catch (OfflineBearerException e)
        {
            // An OAuth error is the server's refusal; a store that cannot be written or read is for the user to fix; a
            // status or a network cause is the server's failure; anything else (no refresh token stored, an expired platform
            // JWT) is the user's. The library names its options; the user typed the tool's flags.
            var code = e.Error is not null ? ExitCodes.Refused
                : e.InnerException is UnauthorizedAccessException or (IOException and not HttpIOException) ? ExitCodes.UsageError
                : e.StatusCode is not null || e.InnerException is not null ? ExitCodes.ServerFailure
                : ExitCodes.UsageError;
            return Fail(code, ServerOptions.ToFlags(e.Message), e.Error);
        }
        catch (OptionsValidationException e)
        {
            return Fail(ExitCodes.UsageError, ServerOptions.ToFlags(string.Join(" ", e.Failures)), error: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.UsageError, $"A file of the store could not be written or read: {e.Message}", error: null);
        }
        catch (RedisException e)
        {
            // Its message can name the configuration; the type says enough to act on.
            return Fail(ExitCodes.ServerFailure, $"Redis could not be used ({e.GetType().Name}): check --redis and that the server is up.", error: null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCodes.Interrupted, "Interrupted.", error: null);
        }
    }

    private int Fail(int exitCode, string message, string? error)
    {
        // The library keeps credentials out of its messages; the cap keeps a server's long description to a sentence.
        message = Redaction.Clean(message)!;
        if (json)
        {
            Json(new JsonObject { ["error"] = new JsonObject { ["exit_code"] = exitCode, ["oauth_error"] = error, ["message"] = message } });
        }

        environment.Error.WriteLine($"offline-token: {message}");
        return exitCode;
    }
}
