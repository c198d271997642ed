using OfflineBearer.ClientAuthentication;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>A credential read from its provider: the caller's cancellation stays a cancellation, anything else becomes the typed error.</summary>
public sealed class CredentialSourceTests
{
    [Fact]
    public async Task A_read_cancelled_by_its_caller_is_a_cancellation_not_an_error()
    {
        var source = CredentialSource.For("sensor", "ClientAssertionPath", null, "ClientAssertionProvider", async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return "never";
        })!;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.ReadAsync(cancelled.Token).AsTask());
    }

    [Fact]
    public async Task A_provider_that_gives_up_on_its_own_is_the_typed_error()
    {
        var source = CredentialSource.For("sensor", "ClientAssertionPath", null, "ClientAssertionProvider", _ => throw new OperationCanceledException())!;

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => source.ReadAsync(CancellationToken.None).AsTask());

        Assert.StartsWith("OfflineBearer client 'sensor' could not read ClientAssertionProvider (OperationCanceledException).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Neither_a_path_nor_a_provider_is_no_source()
    {
        Assert.Null(CredentialSource.For("sensor", "ClientSecretPath", " ", "", null));
    }
}
