namespace OfflineBearer.PackageConsumer;

/// <summary>Runs named checks one after the other, prints one line for each, and the verdict of all at the end.</summary>
internal sealed class Checks(string subject)
{
    private int _passed;
    private int _failed;

    /// <summary>Fails the current check with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    public static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new CheckFailedException(message);
        }
    }

    /// <summary>Runs one check; whatever it throws fails it (and only it), with the exception's message on its line.</summary>
    public async Task RunAsync(string what, Func<Task<string?>> check)
    {
        try
        {
            var detail = await check();
            _passed++;
            Console.WriteLine(detail is null ? $"ok    {what}" : $"ok    {what}: {detail}");
        }
        catch (Exception e) // anything a check throws fails that check; the remaining ones still run and are counted
        {
            _failed++;
            Console.WriteLine($"FAIL  {what}: {(e is CheckFailedException ? e.Message : e.ToString())}");
        }
    }

    /// <summary>Prints the one-line verdict, in dotnet test's words, and returns the exit code.</summary>
    public int Verdict()
    {
        var ok = _failed == 0 && _passed > 0;
        Console.WriteLine($"{(ok ? "Passed!" : "Failed!")}  - Failed: {_failed}, Passed: {_passed}, Total: {_passed + _failed} - {subject}");
        return ok ? 0 : 1;
    }

    private sealed class CheckFailedException(string message) : Exception(message);
}
