using ModernMail.Tls;
using Xunit;

namespace ModernMail.Tests.Tls;

public sealed class TlsaRecordTests
{
    private const string Sha256Hex = "60D31890958C15717510F51C2491C56245877BE7F2FBFE52C7BC5B42DA4D7CA6";

    [Fact]
    public void Parse_PresentationFormat_ReadsTheFourFields()
    {
        var record = TlsaRecord.Parse("3 1 1 " + Sha256Hex.ToLowerInvariant());

        Assert.Equal(TlsaUsage.DaneEe, record.Usage);
        Assert.Equal(TlsaSelector.SubjectPublicKeyInfo, record.Selector);
        Assert.Equal(TlsaMatchingType.Sha256, record.MatchingType);
        Assert.Equal(Convert.FromHexString(Sha256Hex), record.Data.ToArray());
        Assert.True(record.IsUsable);
        Assert.Equal("3 1 1 " + Sha256Hex, record.ToString());
    }

    [Fact]
    public void Parse_HexSplitByWhiteSpace_JoinsIt()
    {
        // dig and zone files split long data: "3 1 1 60D31890...5B42 DA4D7CA6".
        var record = TlsaRecord.Parse("2 0 1 " + Sha256Hex[..56] + " \t" + Sha256Hex[56..]);

        Assert.Equal(TlsaUsage.DaneTa, record.Usage);
        Assert.Equal(Convert.FromHexString(Sha256Hex), record.Data.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("3 1 1")]
    [InlineData("3 1 x AB")]
    [InlineData("256 1 1 AB")]
    [InlineData("-3 1 1 AB")]
    [InlineData("3 1 1 ABC")]
    [InlineData("3 1 1 GG")]
    [InlineData("DANE-EE SPKI SHA2-256 AB")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(TlsaRecord.TryParse(text, out _));
        Assert.Throws<FormatException>(() => TlsaRecord.Parse(text));
    }

    [Fact]
    public void TryReadRdata_WireFormat_ReadsFieldsAndData()
    {
        byte[] rdata = [2, 1, 2, .. new byte[64]];

        Assert.True(TlsaRecord.TryReadRdata(rdata, out var record));

        Assert.Equal(TlsaUsage.DaneTa, record.Usage);
        Assert.Equal(TlsaSelector.SubjectPublicKeyInfo, record.Selector);
        Assert.Equal(TlsaMatchingType.Sha512, record.MatchingType);
        Assert.Equal(64, record.Data.Length);
        Assert.True(record.IsUsable);
    }

    [Fact]
    public void TryReadRdata_ShorterThanTheFields_ReturnsFalse()
    {
        Assert.False(TlsaRecord.TryReadRdata([3, 1], out _));
    }

    [Theory]
    [InlineData("3 1 1 " + Sha256Hex, true)]
    [InlineData("2 0 1 " + Sha256Hex, true)]
    [InlineData("3 0 0 3082", true)]
    [InlineData("0 0 1 " + Sha256Hex, false)] // PKIX-TA: not for SMTP (RFC 7672 §3.1.3)
    [InlineData("1 1 1 " + Sha256Hex, false)] // PKIX-EE
    [InlineData("4 1 1 " + Sha256Hex, false)] // unknown usage
    [InlineData("3 2 1 " + Sha256Hex, false)] // unknown selector
    [InlineData("3 1 3 " + Sha256Hex, false)] // unknown matching type
    [InlineData("3 1 1 " + "AB", false)] // SHA-256 digest of the wrong length
    [InlineData("3 1 2 " + Sha256Hex, false)] // a SHA-256-sized SHA-512 digest
    public void IsUsable_FollowsRfc7672(string text, bool usable)
    {
        Assert.Equal(usable, TlsaRecord.Parse(text).IsUsable);
    }

    [Fact]
    public void TryParse_UnknownFieldValues_AreKept()
    {
        // Unknown values still make "TLSA records exist" (RFC 7672 §2.2), so they are parsed, not rejected.
        Assert.True(TlsaRecord.TryParse("255 7 9 00", out var record));
        Assert.Equal(255, (int)record.Usage);
        Assert.Equal("255 7 9 00", record.ToString());
    }
}
