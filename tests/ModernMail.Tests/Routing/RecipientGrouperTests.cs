using System.Net.Mail;
using ModernMail.Routing.Internal;
using Xunit;

namespace ModernMail.Tests.Routing;

public class RecipientGrouperTests
{
    [Fact]
    public void Group_DomainsCaseInsensitive_KeepsEnvelopeIndexes()
    {
        MailAddress[] recipients = [new("a@Example.COM"), new("b@other.org"), new("c@example.com"), new("d@OTHER.org.")];

        var groups = RecipientGrouper.Group(recipients);

        Assert.Equal(2, groups.Count);
        Assert.Equal("example.com", groups[0].Domain);
        Assert.Equal([0, 2], groups[0].Indexes);
        Assert.Equal("other.org", groups[1].Domain);
        Assert.Equal([1, 3], groups[1].Indexes);
    }

    [Fact]
    public void Group_IdnDomain_BecomesPunycodeAndMergesWithItsALabel()
    {
        MailAddress[] recipients = [new("a@Bücher.example"), new("b@xn--bcher-kva.example")];

        var groups = RecipientGrouper.Group(recipients);

        var group = Assert.Single(groups);
        Assert.Equal("xn--bcher-kva.example", group.Domain);
        Assert.Equal("a@xn--bcher-kva.example", RecipientGrouper.ToWireAddress(recipients[0]));
    }

    [Fact]
    public void NeedsSmtpUtf8_OnlyForNonAsciiLocalPart()
    {
        Assert.True(RecipientGrouper.NeedsSmtpUtf8(new MailAddress("josé@example.com")));
        Assert.False(RecipientGrouper.NeedsSmtpUtf8(new MailAddress("jose@bücher.example")));
    }
}
