using System.Net;
using System.Net.Sockets;
using ModernMail.Deliverability;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Deliverability;

/// <summary>The doctor against the world's real DNS server (dnsmasq on 127.0.0.1:5300) and the dr-*.test zones of scripts/testworld/zones/doctor.conf.</summary>
public sealed class DoctorWorldTests
{
    private static readonly IPAddress s_loopback = IPAddress.Loopback;

    private static DnsClientLookup Dns() => new([WorldDns.Server], TimeSpan.FromSeconds(2));

    private static async Task<DoctorReport> RunAsync(string domain, string? selector = "sel", IPAddress? address = null, string helo = "mx.a.test", string? privateKeyPem = null,
        ModernMail.Tls.MtaStsOptions? mtaSts = null)
    {
        await WorldDns.EnsureDoctorZonesAsync(TestContext.Current.CancellationToken);
        var doctor = mtaSts is null ? new DeliverabilityDoctor(Dns()) : new DeliverabilityDoctor(Dns()) { MtaSts = mtaSts };
        return await doctor.CheckAsync(new DeliverabilitySetup
        {
            Domain = domain,
            Address = address ?? s_loopback,
            HeloName = helo,
            DkimSelector = selector,
            DkimPrivateKeyPem = privateKeyPem,
        }, TestContext.Current.CancellationToken);
    }

    private static DoctorCheck Single(DoctorReport report, string area, CheckStatus status) =>
        Assert.Single(report.Checks, c => c.Area == area && c.Status == status);

    [Fact]
    public async Task Doctor_GoodSetup_AllPassAndKeyMatches()
    {
        var pem = await File.ReadAllTextAsync(WorldDns.GetFile("dr-good.pem"), TestContext.Current.CancellationToken);
        // dr-good.test's MTA-STS policy, served over real HTTPS (mta-sts.dr-good.test is 127.0.0.1 in the world's DNS).
        using var ca = new ModernMail.Tests.Tls.TestCertificateAuthority();
        await using var policy = await ModernMail.Tests.Tls.PolicyServer.StartAsync(ca.Issue("mta-sts.dr-good.test"));
        policy.Body = "version: STSv1\nmode: enforce\nmx: mx.a.test\nmax_age: 604800\n";
        var sts = new ModernMail.Tls.MtaStsOptions { HttpsPort = policy.Port, TrustedRoots = [ca.Certificate], FetchTimeout = TimeSpan.FromSeconds(10) };

        var report = await RunAsync("dr-good.test", "dr2048", privateKeyPem: pem, mtaSts: sts);

        Assert.True(report.IsOk, DeliverabilityRenderer.RenderText(report));
        Assert.All(report.Checks, c => Assert.Equal(CheckStatus.Pass, c.Status));
        Assert.Contains("matched \"mx\"", Single(report, "SPF", CheckStatus.Pass).Summary);
        Assert.Contains(report.Checks, c => c.Area == "DKIM" && c.Summary.Contains("2048-bit RSA key published at dr2048._domainkey.dr-good.test"));
        Assert.Contains(report.Checks, c => c.Area == "DKIM" && c.Summary.Contains("matches the private key"));
        Assert.Contains("p=reject", report.Checks.First(c => c.Area == "DMARC").Summary);
        Assert.Contains("127.0.0.1 -> mx.a.test -> 127.0.0.1", Single(report, "PTR", CheckStatus.Pass).Summary);
        Assert.Contains("MX 10 mx.a.test", Single(report, "MX", CheckStatus.Pass).Summary);
        Assert.Contains("mode enforce, mx mx.a.test", Single(report, "MTA-STS", CheckStatus.Pass).Summary);
        Assert.Equal(1, policy.Requests);
    }

    [Theory]
    [InlineData("rsa2048", "2048-bit RSA key")]
    [InlineData("ed25519", "Ed25519 key")]
    public async Task Doctor_WorldSenderDomain_KeysMatchTheCommittedPrivateKeys(string selector, string keyText)
    {
        var path = selector == TestWorld.RsaSelector ? TestWorld.RsaKeyPath : TestWorld.Ed25519KeyPath;
        var pem = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

        var report = await RunAsync(TestWorld.SenderDomain, selector, privateKeyPem: pem);

        Assert.True(report.IsOk, DeliverabilityRenderer.RenderText(report));
        Assert.Contains(report.Checks, c => c.Area == "DKIM" && c.Status == CheckStatus.Pass && c.Summary.StartsWith(keyText));
        Assert.Contains(report.Checks, c => c.Area == "DKIM" && c.Status == CheckStatus.Pass && c.Summary.Contains("matches the private key"));
        // sender.test publishes neither MTA-STS nor TLS-RPT: noticed, but only a warning.
        Assert.Equal("no MTA-STS record at _mta-sts.sender.test (optional)", Single(report, "MTA-STS", CheckStatus.Warn).Summary);
        Assert.Equal(CheckStatus.Warn, Assert.Single(report.Checks, c => c.Area == "TLS-RPT").Status);
    }

    [Fact]
    public async Task Doctor_TwoSpfRecords_Fails()
    {
        var report = await RunAsync("dr-twospf.test", selector: null);

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Contains("2 SPF records", check.Summary);
        Assert.Contains("\"v=spf1 ip4:127.0.0.1 -all\"", check.Summary);
        Assert.Contains("\"v=spf1 include:_spf.dr-good.test ~all\"", check.Summary);
        Assert.False(report.IsOk);
    }

    [Fact]
    public async Task Doctor_SpfSyntaxError_FailsNamingTheTerm()
    {
        var report = await RunAsync("dr-spfsyntax.test", selector: null);

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Equal("SPF record \"v=spf1 ip4:127.0.0.1 inclde:_spf.dr-good.test -all\" has a syntax error: unknown mechanism \"inclde:_spf.dr-good.test\"", check.Summary);
    }

    [Fact]
    public async Task Doctor_DkimKeyNotBase64_Fails()
    {
        var report = await RunAsync("dr-dkimb64.test");

        var check = Single(report, "DKIM", CheckStatus.Fail);
        Assert.Contains("p= is not valid base64", check.Summary);
        Assert.Equal("v=DKIM1; k=rsa; p=MIIBIjANBg*not~base64*", check.Record);
    }

    [Fact]
    public async Task Doctor_Dkim512BitKey_Fails()
    {
        var report = await RunAsync("dr-dkim512.test");

        Assert.Contains("512-bit RSA key at sel._domainkey.dr-dkim512.test", Single(report, "DKIM", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Doctor_DmarcUnknownPolicy_FailsQuotingRecord()
    {
        var report = await RunAsync("dr-dmarcbad.test", selector: null);

        var check = Single(report, "DMARC", CheckStatus.Fail);
        Assert.Contains("\"v=DMARC1; p=rejected; rua=mailto:dmarc@dr-dmarcbad.test\"", check.Summary);
        Assert.Contains("p=rejected is not a known policy", check.Summary);
    }

    [Fact]
    public async Task Doctor_MissingDmarc_Fails()
    {
        var report = await RunAsync("dr-nodmarc.test", selector: null);

        var check = Single(report, "DMARC", CheckStatus.Fail);
        Assert.Equal("no DMARC record at _dmarc.dr-nodmarc.test", check.Summary);
        Assert.Contains("v=DMARC1; p=none; rua=mailto:dmarc-reports@dr-nodmarc.test", check.Fix);
    }

    [Fact]
    public async Task Doctor_PtrNotForwardConfirmed_Fails()
    {
        var report = await RunAsync("dr-ptr.test", selector: null, address: IPAddress.Parse("127.0.0.22"), helo: "nofcrdns.dr-ptr.test");

        var check = Single(report, "PTR", CheckStatus.Fail);
        Assert.Contains("PTR of 127.0.0.22 is nofcrdns.dr-ptr.test, which does not forward-confirm", check.Summary);
        Assert.Contains("resolves to 127.0.0.23", check.Summary);
        Assert.Contains("resolves to 127.0.0.23, not 127.0.0.22", Single(report, "HELO", CheckStatus.Fail).Summary);
        Assert.Equal(CheckStatus.Pass, report.Checks.First(c => c.Area == "SPF").Status);
    }

    [Fact]
    public async Task Doctor_DnsServerNeverAnswers_ReportsTimeouts()
    {
        // A UDP socket we bind and never read: queries to it go unanswered.
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var server = ((IPEndPoint)silent.Client.LocalEndPoint!).ToString();
        var doctor = new DeliverabilityDoctor(new DnsClientLookup([server], TimeSpan.FromMilliseconds(300), retries: 0));

        var report = await doctor.CheckAsync(new DeliverabilitySetup
        {
            Domain = "dr-good.test",
            Address = s_loopback,
            HeloName = "mx.a.test",
            DkimSelector = "dr2048",
        }, TestContext.Current.CancellationToken);

        Assert.False(report.IsOk);
        foreach (var area in new[] { "SPF", "DKIM", "DMARC", "PTR", "HELO", "MX", "MTA-STS", "TLS-RPT" })
        {
            var check = Assert.Single(report.Checks, c => c.Area == area);
            Assert.StartsWith("could not check: DNS timeout", check.Summary);
        }

        Assert.Contains("could not check: DNS timeout looking up TXT _dmarc.dr-good.test", DeliverabilityRenderer.RenderText(report));
    }

    [Fact]
    public async Task Doctor_ResolverAnswersServFail_ReportsServerFailureNotMissing()
    {
        var doctor = new DeliverabilityDoctor(new DnsClientLookup([WorldDns.Resolver], TimeSpan.FromSeconds(2), retries: 0));

        var report = await doctor.CheckAsync(new DeliverabilitySetup
        {
            Domain = "outside.example",
            Address = IPAddress.Parse("192.0.2.1"),
            HeloName = "mail.outside.example",
            DkimSelector = "s1",
        }, TestContext.Current.CancellationToken);

        Assert.Equal(
            "could not check: DNS server failure (SERVFAIL) looking up TXT _dmarc.outside.example",
            Assert.Single(report.Checks, c => c.Area == "DMARC").Summary);
        Assert.All(report.Checks.Where(c => c.Area != "PTR"), c => Assert.StartsWith("could not check: DNS server failure", c.Summary));
        // unbound does answer for the documentation range's reverse zone (RFC 6303 local zone): NXDOMAIN is a missing PTR.
        Assert.Equal("192.0.2.1 has no PTR record (the name does not exist (NXDOMAIN)); many receivers reject such mail",
            Assert.Single(report.Checks, c => c.Area == "PTR").Summary);
        Assert.False(report.IsOk);
    }
}
