using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ModernMail.Deliverability;
using NSec.Cryptography;
using Xunit;

namespace ModernMail.Tests.Deliverability;

public sealed class DeliverabilityDoctorTests : IClassFixture<DoctorPolicyHost>
{
    private static DoctorPolicyHost s_policy = null!;

    public DeliverabilityDoctorTests(DoctorPolicyHost policy)
    {
        s_policy = policy;
        policy.Server.Body = DoctorZone.Policy;
        policy.Server.Status = 200;
    }

    private static async Task<DoctorReport> RunAsync(DoctorZone zone, DeliverabilitySetup? setup = null) =>
        await new DeliverabilityDoctor(zone.Build()) { MtaSts = s_policy.Options }.CheckAsync(setup ?? DoctorZone.Setup(), TestContext.Current.CancellationToken);

    private static DoctorCheck Single(DoctorReport report, string area, CheckStatus status) =>
        Assert.Single(report.Checks, c => c.Area == area && c.Status == status);

    [Fact]
    public async Task Check_GoodSetup_EveryCheckPasses()
    {
        var report = await RunAsync(new DoctorZone(), DoctorZone.Setup(DoctorZone.Key.ExportPkcs8PrivateKeyPem()));

        Assert.True(report.IsOk);
        Assert.All(report.Checks, c => Assert.Equal(CheckStatus.Pass, c.Status));
        foreach (var area in new[] { "SPF", "DKIM", "DMARC", "PTR", "HELO", "MX", "MTA-STS", "TLS-RPT" })
        {
            Assert.Contains(report.Checks, c => c.Area == area);
        }

        Assert.Contains("matches the private key", string.Join("\n", report.Checks.Select(c => c.Summary)));
    }

    [Fact]
    public async Task Check_TwoSpfRecords_FailsQuotingBoth()
    {
        var report = await RunAsync(new DoctorZone { Spf2 = "v=spf1 include:other.example ~all" });

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Contains("2 SPF records", check.Summary);
        Assert.Contains("\"v=spf1 ip4:192.0.2.0/24 -all\"", check.Summary);
        Assert.Contains("\"v=spf1 include:other.example ~all\"", check.Summary);
        Assert.False(report.IsOk);
    }

    [Fact]
    public async Task Check_SpfSyntaxError_FailsNamingTheTerm()
    {
        var report = await RunAsync(new DoctorZone { Spf = "v=spf1 ip4:192.0.2.300 -all" });

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Contains("syntax error", check.Summary);
        Assert.Contains("ip4:192.0.2.300", check.Summary);
        Assert.Equal("v=spf1 ip4:192.0.2.300 -all", check.Record);
    }

    [Fact]
    public async Task Check_SpfNotAuthorisingAddress_FailsAndSuggestsTheIp4Term()
    {
        var report = await RunAsync(new DoctorZone { Spf = "v=spf1 ip4:198.51.100.1 -all" });

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Contains("result fail", check.Summary);
        Assert.Contains("v=spf1 ip4:198.51.100.1 ip4:192.0.2.10 -all", check.Fix);
        // DMARC alignment then rests on DKIM alone.
        Assert.Contains("aligned through DKIM only", Single(report, "DMARC", CheckStatus.Warn).Summary);
    }

    [Fact]
    public async Task Check_NoSpf_FailsWithRecordToPublish()
    {
        var report = await RunAsync(new DoctorZone { Spf = null });

        var check = Single(report, "SPF", CheckStatus.Fail);
        Assert.Contains("no SPF record at good.example", check.Summary);
        Assert.Contains("v=spf1 ip4:192.0.2.10 -all", check.Fix);
    }

    [Fact]
    public async Task Check_DkimKeyNotBase64_FailsQuotingRecord()
    {
        const string Record = "v=DKIM1; k=rsa; p=not*base64!";
        var report = await RunAsync(new DoctorZone { Dkim = Record });

        var check = Single(report, "DKIM", CheckStatus.Fail);
        Assert.Contains("not valid base64", check.Summary);
        Assert.Equal(Record, check.Record);
    }

    [Fact]
    public async Task Check_Dkim512BitKey_Fails()
    {
        using var weak = RSA.Create(512);
        var report = await RunAsync(new DoctorZone { Dkim = DoctorZone.DkimRecordFor(weak) });

        Assert.Contains("512-bit RSA key", Single(report, "DKIM", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Check_Dkim1024BitKey_Warns()
    {
        using var key = RSA.Create(1024);
        var report = await RunAsync(new DoctorZone { Dkim = DoctorZone.DkimRecordFor(key) });

        Assert.Contains("1024-bit RSA key", Single(report, "DKIM", CheckStatus.Warn).Summary);
        Assert.True(report.IsOk);
    }

    [Fact]
    public async Task Check_DkimTestingFlag_Warns()
    {
        var report = await RunAsync(new DoctorZone { Dkim = DoctorZone.DkimRecordFor(DoctorZone.Key) + "; t=y" });

        Assert.Contains("t=y", Single(report, "DKIM", CheckStatus.Warn).Summary);
    }

    [Fact]
    public async Task Check_DkimHashTagWithoutSha256_Fails()
    {
        var report = await RunAsync(new DoctorZone { Dkim = "v=DKIM1; h=sha1; " + DoctorZone.DkimRecordFor(DoctorZone.Key)[9..] });

        Assert.Contains("h=sha1 does not allow sha256", Single(report, "DKIM", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Check_DkimKeyOfAnotherPrivateKey_Fails()
    {
        using var other = RSA.Create(2048);
        var report = await RunAsync(new DoctorZone(), DoctorZone.Setup(other.ExportPkcs8PrivateKeyPem()));

        Assert.Contains("does not match the private key", Single(report, "DKIM", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Check_Ed25519KeyMatchingPrivateKey_Passes()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var pem = System.Text.Encoding.ASCII.GetString(key.Export(KeyBlobFormat.PkixPrivateKeyText));
        var record = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

        var report = await RunAsync(new DoctorZone { Dkim = record }, DoctorZone.Setup(pem));

        Assert.Contains(report.Checks, c => c.Area == "DKIM" && c.Status == CheckStatus.Pass && c.Summary.Contains("matches the private key"));
        Assert.DoesNotContain(report.Checks, c => c.Area == "DKIM" && c.Status == CheckStatus.Fail);
    }

    [Fact]
    public async Task Check_DmarcUnknownPolicy_FailsQuotingRecord()
    {
        const string Record = "v=DMARC1; p=bogus";
        var report = await RunAsync(new DoctorZone { Dmarc = Record });

        var check = Single(report, "DMARC", CheckStatus.Fail);
        Assert.Contains("p=bogus is not a known policy", check.Summary);
        Assert.Contains("\"" + Record + "\"", check.Summary);
    }

    [Fact]
    public async Task Check_MissingDmarc_FailsWithRecordToPublish()
    {
        var report = await RunAsync(new DoctorZone { Dmarc = null });

        var check = Single(report, "DMARC", CheckStatus.Fail);
        Assert.Contains("no DMARC record at _dmarc.good.example", check.Summary);
        Assert.Contains("v=DMARC1; p=none; rua=mailto:dmarc-reports@good.example", check.Fix);
    }

    [Fact]
    public async Task Check_DmarcPolicyNone_Warns()
    {
        var report = await RunAsync(new DoctorZone { Dmarc = "v=DMARC1; p=none" });

        Assert.Contains("p=none", Single(report, "DMARC", CheckStatus.Warn).Summary);
    }

    [Fact]
    public async Task Check_StrictAlignmentWithSubdomainMailFrom_OnlyDkimAligns()
    {
        var zone = new DoctorZone { Dmarc = "v=DMARC1; p=reject; aspf=s" };
        var dns = zone.Build();
        dns.AddTxt("bounce.good.example", "v=spf1 ip4:192.0.2.10 -all");
        dns.AddMx("bounce.good.example", 10, DoctorZone.Helo);
        var setup = new DeliverabilitySetup
        {
            Domain = DoctorZone.Domain,
            Address = DoctorZone.Address,
            HeloName = DoctorZone.Helo,
            DkimSelector = "sel",
            MailFromDomain = "bounce.good.example",
        };

        var report = await new DeliverabilityDoctor(dns).CheckAsync(setup, TestContext.Current.CancellationToken);

        var check = Single(report, "DMARC", CheckStatus.Warn);
        Assert.Contains("SPF domain bounce.good.example not aligned (aspf strict)", check.Summary);
        Assert.Contains("last two labels", check.Summary);
    }

    [Fact]
    public async Task Check_PtrNotForwardConfirmed_Fails()
    {
        var report = await RunAsync(new DoctorZone { PtrName = "host.elsewhere.example" });

        var check = Single(report, "PTR", CheckStatus.Fail);
        Assert.Contains("does not forward-confirm", check.Summary);
        Assert.Contains("host.elsewhere.example does not resolve", check.Summary);
    }

    [Fact]
    public async Task Check_NoPtr_Fails()
    {
        var report = await RunAsync(new DoctorZone { PtrName = null });

        Assert.Contains("has no PTR record", Single(report, "PTR", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Check_HeloResolvingElsewhere_Fails()
    {
        var report = await RunAsync(new DoctorZone { HeloAddress = IPAddress.Parse("198.51.100.7") });

        Assert.Contains("resolves to 198.51.100.7, not 192.0.2.10", Single(report, "HELO", CheckStatus.Fail).Summary);
    }

    [Fact]
    public async Task Check_NoMx_WarnsAboutImplicitMx()
    {
        var report = await RunAsync(new DoctorZone { Mx = false });

        Assert.Contains("implicit MX", Single(report, "MX", CheckStatus.Warn).Summary);
    }

    [Fact]
    public async Task Check_DnsTimeouts_ReportedAsTimeoutNotMissing()
    {
        var zone = new DoctorZone { Dmarc = null, Dkim = null };
        zone.TimeoutNames.Add("_dmarc." + DoctorZone.Domain);
        zone.TimeoutNames.Add("sel._domainkey." + DoctorZone.Domain);

        var report = await RunAsync(zone);

        Assert.Equal("could not check: DNS timeout looking up TXT _dmarc.good.example", Single(report, "DMARC", CheckStatus.Fail).Summary);
        Assert.Equal("could not check: DNS timeout looking up TXT sel._domainkey.good.example", Single(report, "DKIM", CheckStatus.Fail).Summary);
        Assert.DoesNotContain(report.Checks, c => c.Summary.Contains("no DMARC") || c.Summary.Contains("no DKIM"));
        Assert.False(report.IsOk);
    }

    [Fact]
    public async Task RenderJson_Report_RoundTripsChecks()
    {
        var report = await RunAsync(new DoctorZone { Dmarc = "v=DMARC1; p=bogus" });

        using var json = JsonDocument.Parse(DeliverabilityRenderer.RenderJson(report));

        Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(report.Checks.Count, checks.Count);
        Assert.Contains(checks, c => c.GetProperty("area").GetString() == "DMARC" && c.GetProperty("status").GetString() == "fail"
            && c.GetProperty("record").GetString() == "v=DMARC1; p=bogus");
    }

    [Fact]
    public async Task RenderText_Report_ShowsStatusAreaAndFix()
    {
        var report = await RunAsync(new DoctorZone { Dmarc = null });

        var text = DeliverabilityRenderer.RenderText(report);

        Assert.Contains("PASS  SPF      SPF passes for 192.0.2.10", text);
        Assert.Contains("FAIL  DMARC    no DMARC record at _dmarc.good.example", text);
        Assert.Contains("fix: publish TXT _dmarc.good.example", text);
        Assert.EndsWith("NOT OK: 1 failed, 0 warnings, " + (report.Checks.Count - 1) + " passed\n", text);
    }

    [Fact]
    public async Task Check_MtaStsPolicyMissesAnMx_FailsNamingIt()
    {
        s_policy.Server.Body = DoctorZone.Policy.Replace("mail.good.example", "mx.elsewhere.example", StringComparison.Ordinal);
        var report = await RunAsync(new DoctorZone());

        var check = Single(report, "MTA-STS", CheckStatus.Fail);
        Assert.Contains("MX mail.good.example not covered", check.Summary);
        Assert.Contains("mx: mail.good.example", check.Fix);
    }

    [Fact]
    public async Task Check_MtaStsTestingMode_WarnsToEnforce()
    {
        s_policy.Server.Body = DoctorZone.Policy.Replace("enforce", "testing", StringComparison.Ordinal);
        var report = await RunAsync(new DoctorZone());

        Assert.Contains("mode testing", Single(report, "MTA-STS", CheckStatus.Warn).Summary);
    }

    [Fact]
    public async Task Check_MtaStsPolicyUnreachableOrInvalid_Fails()
    {
        s_policy.Server.Status = 404;
        var missing = await RunAsync(new DoctorZone());
        Assert.Contains("could not be fetched", Single(missing, "MTA-STS", CheckStatus.Fail).Summary);

        s_policy.Server.Status = 200;
        s_policy.Server.Body = "version: STSv1\nmode: sometimes\nmx: mail.good.example\nmax_age: 604800\n";
        var invalid = await RunAsync(new DoctorZone());
        Assert.Contains("is invalid", Single(invalid, "MTA-STS", CheckStatus.Fail).Summary);
    }

    [Theory]
    [InlineData("v=TLSRPTv1", "no rua= tag")]
    [InlineData("v=TLSRPTv1; rua=tls@good.example", "rua entries senders cannot use")]
    [InlineData("v=TLSRPTv1; rua=http://good.example/report", "rua entries senders cannot use")]
    public async Task Check_TlsRptRecordUnusable_Fails(string record, string expected)
    {
        var report = await RunAsync(new DoctorZone { TlsRpt = record });

        Assert.Contains(expected, Single(report, "TLS-RPT", CheckStatus.Fail).Summary);
    }
}

/// <summary>A real HTTPS server for mta-sts.good.example with a certificate from a test CA the doctor is told to trust.</summary>
public sealed class DoctorPolicyHost : IAsyncLifetime
{
    private readonly ModernMail.Tests.Tls.TestCertificateAuthority _ca = new();

    internal ModernMail.Tests.Tls.PolicyServer Server { get; private set; } = null!;

    internal ModernMail.Tls.MtaStsOptions Options => new() { HttpsPort = Server.Port, TrustedRoots = [_ca.Certificate], FetchTimeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync() => Server = await ModernMail.Tests.Tls.PolicyServer.StartAsync(_ca.Issue("mta-sts." + DoctorZone.Domain));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _ca.Dispose();
    }
}
