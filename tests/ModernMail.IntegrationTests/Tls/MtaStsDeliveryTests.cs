using System.Net;
using System.Net.Mail;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using ModernMail.Delivery;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using ModernMail.Tests.Delivery;
using ModernMail.Tests.Tls;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.IntegrationTests.Tls;

/// <summary>MTA-STS enforced on delivery: real DNS (dnsmasq, scripts/testworld/zones/mta-sts.conf), a real HTTPS policy
/// server with a test CA, the world's Postfix as the MX (its certificate trusted as a private root), and a scripted MX on
/// 127.0.0.12:25 that offers no STARTTLS, as a downgrade attacker would make it look.</summary>
[Collection(nameof(PlainMxCollection))]
public sealed class MtaStsDeliveryTests : IAsyncLifetime
{
    private static readonly IPAddress s_plainMx = IPAddress.Parse("127.0.0.12");

    private readonly TestCertificateAuthority _ca = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-sts-delivery-" + Guid.NewGuid().ToString("N"));
    private PolicyServer _policies = null!;

    public MtaStsDeliveryTests() => TestWorld.EnsureUp();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _policies = await PolicyServer.StartAsync(_ca.Issue(
            "mta-sts.sts-enforce.test", "mta-sts.sts-mismatch.test", "mta-sts.sts-plain.test", "mta-sts.sts-testing.test"));
        _policies.BodiesByHost["mta-sts.sts-enforce.test"] = Policy("enforce", "mx.a.test");
        _policies.BodiesByHost["mta-sts.sts-mismatch.test"] = Policy("enforce", "mx.elsewhere.test");
        _policies.BodiesByHost["mta-sts.sts-plain.test"] = Policy("enforce", "*.sts-plain.test");
        _policies.BodiesByHost["mta-sts.sts-testing.test"] = Policy("testing", "*.sts-testing.test");
        ScriptedSmtpServer.WarmUpCertificate();
    }

    public async ValueTask DisposeAsync()
    {
        await _policies.DisposeAsync();
        _ca.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static string Policy(string mode, string mx) => $"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n";

    /// <summary>The world's Postfix presents a self-signed certificate for mx.a.test: trusting it makes it valid.</summary>
    private static X509Certificate2Collection PostfixRoot()
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(TestWorld.TlsCertificatePath);
        return roots;
    }

    private BrokerConfig Config(bool trustPostfix, TlsPolicy tls = TlsPolicy.Opportunistic)
    {
        var config = new BrokerConfig
        {
            HostName = "sender.test",
            Tls = tls,
            TrustedRoots = trustPostfix ? PostfixRoot() : [_ca.Certificate],
            MtaSts = new MtaStsOptions { HttpsPort = _policies.Port, TrustedRoots = [_ca.Certificate], FetchTimeout = TimeSpan.FromSeconds(10) },
        };
        config.DnsServers.Add(TestWorld.DnsServer.ToString());
        return config;
    }

    private async Task<(DeliveryResult Result, IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)> Report)> SendAsync(BrokerConfig config, string to)
    {
        string db = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".db");
        var store = new SqliteTlsStore(db);
        IReadOnlyList<DeliveryResult> results;
        await using (var transport = new SmtpTransport(config, DnsClientLookup.FromConfiguration(config.DnsServers, "dns"), store, new TlsReportRecorder(store)))
        {
            var envelope = new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(to)]);
            using var message = new MemoryStream("From: sender@sender.test\r\nTo: x@y.test\r\nSubject: mta-sts\r\n\r\nhello\r\n"u8.ToArray());
            results = await transport.DeliverAsync(envelope, message, Ct);
        }
        string domain = to[(to.IndexOf('@') + 1)..];
        var report = await store.ReadAsync(DateOnly.FromDateTime(DateTime.UtcNow), domain, Ct);
        return (Assert.Single(results), report);
    }

    [Fact]
    public async Task Enforce_MxNamedAndCertificateValid_DeliveredOverAuthenticatedTls()
    {
        string to = TestWorld.Unique("sts", "sts-enforce.test");
        var (result, report) = await SendAsync(Config(trustPostfix: true), to);

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal(AppliedTlsPolicy.MtaStsEnforce, result.AppliedTlsPolicy);
        Assert.True(result.UsedTls);
        Assert.True(result.CertificateValid);
        Assert.Single(await TestWorld.WaitForMessagesAsync(to, 1, TimeSpan.FromSeconds(30), Ct));
        var success = Assert.Single(report);
        Assert.Equal("sts", success.Outcome.PolicyType);
        Assert.Null(success.Outcome.ResultType);
        Assert.Equal(1, success.Sessions);
    }

    [Fact]
    public async Task Enforce_CertificateNotTrusted_DeferredNotSent()
    {
        string to = TestWorld.Unique("sts", "sts-enforce.test");
        var (result, report) = await SendAsync(Config(trustPostfix: false), to);

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Equal(AppliedTlsPolicy.MtaStsEnforce, result.AppliedTlsPolicy);
        Assert.Contains("MTA-STS", result.Detail);
        Assert.Contains("not authenticated", result.Detail);
        Assert.Equal(SmtpStage.Tls, result.Stage);
        Assert.Equal(BounceCategory.TlsRequired, result.Category);
        await Task.Delay(500, Ct);
        Assert.Empty(TestWorld.GetMessages(to));
        Assert.Equal(TlsResultType.CertificateNotTrusted, Assert.Single(report).Outcome.ResultType);
    }

    [Fact]
    public async Task Enforce_MxNotInPolicy_NotUsed()
    {
        string to = TestWorld.Unique("sts", "sts-mismatch.test");
        var (result, report) = await SendAsync(Config(trustPostfix: true), to);

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("not an MX host of the MTA-STS policy", result.Detail);
        Assert.Equal(BounceCategory.TlsRequired, result.Category);
        await Task.Delay(500, Ct);
        Assert.Empty(TestWorld.GetMessages(to));
        var failure = Assert.Single(report);
        Assert.Equal(TlsResultType.ValidationFailure, failure.Outcome.ResultType);
        Assert.Equal(["mx.elsewhere.test"], failure.Outcome.MxPatterns);
    }

    [Fact]
    public async Task Enforce_MxWithoutStartTls_DeferredAndNothingSentInClearText()
    {
        await using var mx = new ScriptedSmtpServer(s_plainMx, 25);
        mx.Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME"));
        var (result, report) = await SendAsync(Config(trustPostfix: true), TestWorld.Unique("sts", "sts-plain.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("does not offer STARTTLS", result.Detail);
        Assert.Equal(BounceCategory.TlsRequired, result.Category);
        Assert.DoesNotContain(mx.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(TlsResultType.StartTlsNotSupported, Assert.Single(report).Outcome.ResultType);
    }

    [Fact]
    public async Task Testing_MxWithoutStartTls_DeliveredAndTheFailureReported()
    {
        await using var mx = new ScriptedSmtpServer(s_plainMx, 25);
        mx.Then(ScriptedSmtpServer.Hello("8BITMIME") + """
            C: MAIL FROM:<sender@sender.test>
            S: 250 ok
            C: RCPT TO:
            S: 250 ok
            C: DATA
            S: 354 go
            BODY
            S: 250 queued
            """);
        var (result, report) = await SendAsync(Config(trustPostfix: true), TestWorld.Unique("sts", "sts-testing.test"));

        Assert.True(result.Delivered, result.Detail);
        Assert.False(result.UsedTls);
        Assert.Equal(AppliedTlsPolicy.MtaStsTesting, result.AppliedTlsPolicy);
        Assert.Single(mx.Bodies);
        var failure = Assert.Single(report);
        Assert.Equal("sts", failure.Outcome.PolicyType);
        Assert.Equal(TlsResultType.StartTlsNotSupported, failure.Outcome.ResultType);
    }

    [Fact]
    public async Task VerifyPolicy_WithoutMtaSts_RefusesAnUntrustedCertificateAndAcceptsATrustedOne()
    {
        string to = TestWorld.Unique("verify", TestWorld.DomainA);
        var (refused, _) = await SendAsync(Config(trustPostfix: false, TlsPolicy.Verify), to);
        Assert.False(refused.Delivered);
        Assert.True(refused.IsTransient);
        Assert.Equal(AppliedTlsPolicy.None, refused.AppliedTlsPolicy);
        Assert.Contains("TLS policy Verify", refused.Detail);

        var (delivered, _) = await SendAsync(Config(trustPostfix: true, TlsPolicy.Verify), to);
        Assert.True(delivered.Delivered, delivered.Detail);
        Assert.True(delivered.CertificateValid);
        Assert.Single(await TestWorld.WaitForMessagesAsync(to, 1, TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task RequiredPolicy_StillAcceptsAnyCertificate()
    {
        string to = TestWorld.Unique("required", TestWorld.DomainA);
        var (result, _) = await SendAsync(Config(trustPostfix: false, TlsPolicy.Required), to);
        Assert.True(result.Delivered, result.Detail);
        Assert.True(result.UsedTls);
        Assert.False(result.CertificateValid);
    }
}

/// <summary>Tests that bind 127.0.0.12:25 run one at a time.</summary>
[CollectionDefinition(nameof(PlainMxCollection), DisableParallelization = true)]
public sealed class PlainMxCollection;
