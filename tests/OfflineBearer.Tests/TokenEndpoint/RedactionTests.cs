using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

public sealed class RedactionTests
{
    [Fact]
    public void A_credential_that_contains_another_is_replaced_whole()
    {
        Assert.Equal("token [redacted] end", Redaction.Clean("token abcdef end", "abc", "abcdef"));
    }

    [Fact]
    public void Base64_with_plus_slash_and_padding_is_replaced_as_well_as_base64url()
    {
        // "?>?" is "Pz4/" in base64 and "Pz4_" in base64url; "?>" is "Pz4=" padded.
        Assert.Equal("[redacted] [redacted] [redacted] [redacted]", Redaction.Clean("Pz4/ Pz4_ Pz4= Pz4", "?>?", "?>"));
    }

    [Fact]
    public void Text_of_exactly_the_longest_length_is_kept_whole()
    {
        var text = new string('x', Redaction.MaxLength);

        Assert.Equal(text, Redaction.Clean(text));
        Assert.Equal(text + "…", Redaction.Clean(text + "y"));
    }

    [Fact]
    public void Null_and_empty_credentials_change_nothing()
    {
        Assert.Null(Redaction.Clean(null, "secret"));
        Assert.Equal("a b", Redaction.Clean("a b", null, ""));
    }
}
