using System.Net;
using CsCheck;
using ModernMail.Deliverability;
using ModernMail.Deliverability.Internal;
using ModernMail.Dkim;
using ModernMail.Dns;
using Xunit;

namespace ModernMail.Tests.Deliverability;

/// <summary>The record parsers read whatever a domain publishes: random input must give a verdict, never an exception.</summary>
public sealed class ParserFuzzTests
{
    // Strings built from the characters that matter to the grammars, so the generator reaches deep paths.
    private static readonly Gen<string> s_recordish = Gen.String[Gen.Char["v=spf1DKIMARCp;:/%{}.-+~?_ alxmin4ipt6rsedh0123456789ABC\x01\x80"], 0, 80];

    [Fact]
    public void SpfRecordTryParse_RandomInput_NeverThrows()
    {
        s_recordish.Select(s => "v=spf1 " + s).Sample(text =>
        {
            if (!SpfRecord.TryParse(text, out var record, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
            else
            {
                Assert.NotNull(record);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void DkimAndDmarcTryParse_RandomInput_NeverThrow()
    {
        s_recordish.Sample(text =>
        {
            DkimPublicKeyRecord.TryParse(text, out _, out _);
            DmarcRecord.TryParse(text, out _, out _);
            DmarcRecord.TryParse("v=DMARC1; " + text, out _, out _);
        }, iter: 20_000);
    }

    [Fact]
    public async Task SpfEvaluator_RandomRecords_AlwaysGivesAResult()
    {
        var records = s_recordish.Select(s => "v=spf1 " + s).Array[1, 3].Array[20].Single();
        var ct = TestContext.Current.CancellationToken;
        foreach (var set in records)
        {
            var dns = new InMemoryDnsLookup();
            foreach (var record in set)
            {
                dns.AddTxt("fuzz.example", record);
            }

            dns.AddTxt("a.example", set[0]);
            var evaluation = await new SpfEvaluator(dns).CheckHostAsync(IPAddress.Parse("192.0.2.1"), "fuzz.example", "x@fuzz.example", "helo.example", ct);

            Assert.True(Enum.IsDefined(evaluation.Result));
            Assert.False(string.IsNullOrEmpty(evaluation.Reason));
        }
    }

    [Theory]
    [InlineData("192.0.2.53", "192.0.2.53:53")]
    [InlineData("127.0.0.1:5300", "127.0.0.1:5300")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("::1", "[::1]:53")]
    public void ParseServer_AddressWithOptionalPort(string text, string expected)
    {
        Assert.Equal(expected, DnsClientLookup.ParseServer(text).ToString());
    }

    [Theory]
    [InlineData("dns.example")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    public void ParseServer_NotAnAddress_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => DnsClientLookup.ParseServer(text));
    }
}
