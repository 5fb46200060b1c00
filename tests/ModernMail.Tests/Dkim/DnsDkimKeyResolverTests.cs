using ModernMail.Dkim;
using ModernMail.Dns;
using Xunit;

namespace ModernMail.Tests.Dkim;

/// <summary>DKIM key lookup over the shared <see cref="IDnsLookup"/>: what each DNS outcome becomes.</summary>
public class DnsDkimKeyResolverTests
{
    private const string Name = "ed25519._domainkey.sender.test";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Found_ReturnsTheJoinedRecords()
    {
        var dns = new InMemoryDnsLookup();
        dns.AddTxt(Name, DkimTestKeys.Ed25519.CreateDnsRecord("sender.test", "ed25519").Value);

        var records = await new DnsDkimKeyResolver(dns).GetKeyRecordsAsync("ed25519", "sender.test.", Token);

        Assert.StartsWith("v=DKIM1; k=ed25519; p=", Assert.Single(records));
    }

    [Theory]
    [InlineData(false)] // NXDOMAIN
    [InlineData(true)] // the name exists, no TXT (NODATA)
    public async Task Missing_ReturnsNoRecords(bool nameExists)
    {
        var dns = new InMemoryDnsLookup();
        if (nameExists)
        {
            dns.AddName(Name);
        }

        Assert.Empty(await new DnsDkimKeyResolver(dns).GetKeyRecordsAsync("ed25519", "sender.test", Token));
    }

    [Theory]
    [InlineData(false, "DNS timeout")]
    [InlineData(true, "SERVFAIL")]
    public async Task DnsFailure_IsTransient_NotInvalidInput(bool serverFailure, string reason)
    {
        var dns = new InMemoryDnsLookup();
        if (serverFailure)
        {
            dns.AddServerFailure(Name);
        }
        else
        {
            dns.AddTimeout(Name);
        }

        var ex = await Assert.ThrowsAsync<DkimKeyLookupException>(() => new DnsDkimKeyResolver(dns).GetKeyRecordsAsync("ed25519", "sender.test", Token));

        Assert.True(ex.IsTransient);
        Assert.IsNotAssignableFrom<DkimException>(ex); // the CLI maps DkimException to exit 2, "invalid input"
        Assert.IsAssignableFrom<ModernMailException>(ex);
        Assert.Contains(reason, ex.Message);
        Assert.Contains(Name, ex.Message);
    }

    [Fact]
    public async Task Verifier_OverTimedOutDns_IsTempError()
    {
        var dns = new InMemoryDnsLookup();
        dns.AddTimeout(Name);
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config());
        byte[] signed = signer.Sign(DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml")));
        var verifier = new DkimVerifier(new DnsDkimKeyResolver(dns));

        DkimVerificationResult result = Assert.Single(await verifier.VerifyAsync(signed, Token));

        Assert.Equal(DkimSignatureStatus.TempError, result.Status);
        Assert.Contains("DNS timeout", result.Reason);
    }

    [Fact]
    public void Constructor_NoServers_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DnsDkimKeyResolver(Array.Empty<System.Net.IPEndPoint>()));
    }
}
