using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Mime;
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

    [Theory]
    [InlineData("\u0085bob@example.test", true)]
    [InlineData("bob\u2028x@example.test", true)]
    [InlineData("bo\u202eb@example.test", true)]
    [InlineData("bob@example.test\u0085", true)]
    [InlineData("bob@example.test.", false)]
    public void Validate_RefusesWhatTheHeaderRefuses_AndPrintsItEscaped(string address, bool invisible)
    {
        var mailAddress = new MailAddress(address);

        var e = Assert.Throws<ArgumentException>(() => RecipientGrouper.Validate(mailAddress, "envelope"));

        Assert.Equal("envelope", e.ParamName);
        Assert.Throws<MailMessageFormatException>(() => MailMessageValidator.CheckAddress(mailAddress, "To"));
        if (invisible)
        {
            Assert.DoesNotContain(address, e.Message, StringComparison.Ordinal);
            Assert.Contains("\\u", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DeliverAsync_EnvelopeWithTrailingDotOrC1_RefusedBeforeAnyConnection()
    {
        using var transport = new SmtpTransport(new BrokerConfig { HostName = "client.test" });
        using var message = new MemoryStream("Subject: x\r\n\r\nbody\r\n"u8.ToArray());
        var ok = new MailAddress("a@example.test");

        await Assert.ThrowsAsync<ArgumentException>(() => transport.DeliverAsync(new Envelope(ok, [new MailAddress("bob@example.test.")]), message, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => transport.DeliverAsync(new Envelope(new MailAddress("\u0085a@example.test"), [ok]), message, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ToWireAddress_QuotesLocalPartsThatAreNotDotAtoms_LikeTheHeader()
    {
        Assert.Equal("\"bob.\"@example.test", RecipientGrouper.ToWireAddress(new MailAddress("bob.@example.test")));
        Assert.Equal("\"a b\"@example.test", RecipientGrouper.ToWireAddress(new MailAddress("\"a b\"@example.test")));
        Assert.Equal("first.last@example.test", RecipientGrouper.ToWireAddress(new MailAddress("first.last@example.test")));
    }
}
