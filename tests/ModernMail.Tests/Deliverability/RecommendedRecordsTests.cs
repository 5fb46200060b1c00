using System.Net;
using System.Text.Json;
using ModernMail.Deliverability;
using Xunit;

namespace ModernMail.Tests.Deliverability;

public sealed class RecommendedRecordsTests
{
    private static DeliverabilitySetup Setup(string address, string? dkim = null) => new()
    {
        Domain = "example.org",
        Address = IPAddress.Parse(address),
        HeloName = "mail.example.org",
        DkimSelector = dkim is null ? null : "s1",
        DkimRecord = dkim,
    };

    [Fact]
    public void Create_Ipv4WithDkim_ListsEveryRecord()
    {
        var records = RecommendedRecords.Create(Setup("192.0.2.1", "v=DKIM1; k=rsa; p=QUJD"));

        Assert.Equal(
            [
                ("example.org", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
                ("s1._domainkey.example.org", "TXT", "v=DKIM1; k=rsa; p=QUJD"),
                ("_dmarc.example.org", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.org"),
                ("1.2.0.192.in-addr.arpa", "PTR", "mail.example.org"),
                ("mail.example.org", "A", "192.0.2.1"),
            ],
            records.Select(r => (r.Name, r.Type, r.Value)));
        Assert.Equal("owner of the IP address", records[3].PublishedBy);
    }

    [Fact]
    public void Create_Ipv6WithoutDkim_UsesIp6AndAaaa()
    {
        var records = RecommendedRecords.Create(Setup("2001:db8::25"));

        Assert.Equal("v=spf1 ip6:2001:db8::25 -all", records[0].Value);
        Assert.DoesNotContain(records, r => r.Name.Contains("_domainkey"));
        Assert.Equal("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", records.Single(r => r.Type == "PTR").Name);
        Assert.Equal("AAAA", records[^1].Type);
    }

    [Fact]
    public void RenderText_LongDkimRecord_SplitsInto255ByteStrings()
    {
        var dkim = "v=DKIM1; k=rsa; p=" + new string('A', 380);
        var text = DeliverabilityRenderer.RenderText(RecommendedRecords.Create(Setup("192.0.2.1", dkim)));

        var line = text.Split('\n').Single(l => l.StartsWith("s1._domainkey.example.org. IN TXT "));
        Assert.Equal($"s1._domainkey.example.org. IN TXT \"{dkim[..255]}\" \"{dkim[255..]}\"", line);
        Assert.Contains("1.2.0.192.in-addr.arpa. IN PTR mail.example.org.\n", text);
    }

    [Fact]
    public void RenderJson_Records_AreParseable()
    {
        var records = RecommendedRecords.Create(Setup("192.0.2.1"));

        using var json = JsonDocument.Parse(DeliverabilityRenderer.RenderJson(records));

        Assert.Equal(records.Count, json.RootElement.GetArrayLength());
        Assert.Equal("v=spf1 ip4:192.0.2.1 -all", json.RootElement[0].GetProperty("value").GetString());
    }

    [Fact]
    public void Create_PrivateKeyWithoutRecord_DerivesTheDkimRecord()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var setup = new DeliverabilitySetup
        {
            Domain = "example.org",
            Address = IPAddress.Parse("192.0.2.1"),
            HeloName = "mail.example.org",
            DkimSelector = "s1",
            DkimPrivateKeyPem = key.ExportPkcs8PrivateKeyPem(),
        };

        var dkim = RecommendedRecords.Create(setup).Single(r => r.Name == "s1._domainkey.example.org");

        Assert.Equal("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), dkim.Value);
    }
}
