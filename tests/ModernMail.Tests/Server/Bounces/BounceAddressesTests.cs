using System.Net.Mail;
using ModernMail.Server.Bounces;
using Xunit;

namespace ModernMail.Tests.Server.Bounces;

public sealed class BounceAddressesTests
{
    private const string CopyId = "019ae5b2c3d47a1b8c2d3e4f5a6b7c8d";
    private static readonly BounceAddresses s_addresses = new("0123456789abcdef0123456789abcdef"u8.ToArray(), "bounces.example.com");

    [Fact]
    public void SenderFor_NamesTheCopy_WithinTheLocalPartLimit()
    {
        MailAddress sender = s_addresses.SenderFor(CopyId, "Alice@Example.org");
        Assert.Equal("bounces.example.com", sender.Host);
        Assert.Matches("^bounces\\+" + CopyId + "\\.[0-9a-f]{20}$", sender.User);
        Assert.True(sender.User.Length <= 64, sender.User);
        Assert.Equal(CopyId, s_addresses.CopyIdOf(sender));
        // The MAC is over the recipient, case-folded: the same copy to another address gets another sender.
        Assert.Equal(sender, s_addresses.SenderFor(CopyId, "alice@example.org"));
        Assert.NotEqual(sender, s_addresses.SenderFor(CopyId, "bob@example.org"));
    }

    [Fact]
    public void Verify_AcceptsTheAddress_EvenCaseFolded_AndNothingElse()
    {
        MailAddress sender = s_addresses.SenderFor(CopyId, "alice@example.org");
        Assert.True(s_addresses.Verify(sender, "alice@example.org"));
        Assert.True(s_addresses.Verify(new MailAddress(sender.Address.ToUpperInvariant()), "alice@example.org"));
        Assert.False(s_addresses.Verify(sender, "bob@example.org"));

        string local = sender.User;
        char last = local[^1] == '0' ? '1' : '0';
        Assert.False(s_addresses.Verify(new MailAddress(local[..^1] + last + "@bounces.example.com"), "alice@example.org"));
        Assert.False(s_addresses.Verify(new MailAddress(local + "@other.example.com"), "alice@example.org"));
        var otherSecret = new BounceAddresses("fedcba9876543210fedcba9876543210"u8.ToArray(), "bounces.example.com");
        Assert.False(otherSecret.Verify(sender, "alice@example.org"));
    }

    [Theory]
    [InlineData("postmaster@bounces.example.com")]
    [InlineData("bounces@bounces.example.com")]
    [InlineData("bounces+@bounces.example.com")]
    [InlineData("bounces+019ae5b2c3d47a1b8c2d3e4f5a6b7c8d.0123@bounces.example.com")]
    [InlineData("bounces+019ae5b2-c3d4.0123456789abcdef0123@bounces.example.com")]
    [InlineData("bounces+019ae5b2c3d47a1b8c2d3e4f5a6b7c8d.0123456789abcdef0123@elsewhere.example.com")]
    public void CopyIdOf_RefusesWhatItDidNotWrite(string address) =>
        Assert.Null(s_addresses.CopyIdOf(new MailAddress(address)));
}
