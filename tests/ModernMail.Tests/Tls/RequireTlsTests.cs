using System.Net;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Dns;
using ModernMail.Tests.Delivery;
using ModernMail.Tls;
using Xunit;

namespace ModernMail.Tests.Tls;

/// <summary>REQUIRETLS (RFC 8689) end to end: a real HTTPS policy host names the MX, the scripted MX speaks real TLS with a
/// certificate the test trusts, and the MAIL FROM line is checked on the wire.</summary>
public sealed class RequireTlsTests : IAsyncLifetime
{
    private const string Domain = "rt.test";

    private readonly TestCertificateAuthority _ca = new();
    private readonly InMemoryDnsLookup _dns = new();
    private PolicyServer _policy = null!;
    private ScriptedSmtpServer _mx = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        ScriptedSmtpServer.WarmUpCertificate();
        _policy = await PolicyServer.StartAsync(_ca.Issue("mta-sts." + Domain, "mta-sts.plain-rt.test"));
        _policy.Body = "version: STSv1\nmode: enforce\nmx: scripted.test\nmax_age: 86400\n";
        _mx = new ScriptedSmtpServer();
        foreach (string domain in new[] { Domain, "plain-rt.test" })
        {
            _dns.AddMx(domain, 10, "scripted.test");
            _dns.AddAddress("mta-sts." + domain, IPAddress.Loopback);
        }
        _dns.AddTxt("_mta-sts." + Domain, "v=STSv1; id=1");
        _dns.AddAddress("scripted.test", IPAddress.Loopback);
    }

    public async ValueTask DisposeAsync()
    {
        await _mx.DisposeAsync();
        await _policy.DisposeAsync();
        _ca.Dispose();
    }

    private async Task<DeliveryResult> SendAsync(string to)
    {
        var config = new BrokerConfig
        {
            HostName = "sender.test",
            SmtpPort = _mx.Port,
            TrustedRoots = [ScriptedSmtpServer.Certificate],
            MtaSts = new MtaStsOptions { HttpsPort = _policy.Port, TrustedRoots = [_ca.Certificate], FetchTimeout = TimeSpan.FromSeconds(10) },
        };
        config.Timeouts.Command = TimeSpan.FromSeconds(25); // a TLS handshake on a loaded 2-core machine
        await using var transport = new SmtpTransport(config, _dns);
        var envelope = new Envelope(new MailAddress("a@sender.test"), [new MailAddress(to)]) { RequireTls = true };
        using var message = new MemoryStream("Subject: r\r\n\r\nhi\r\n"u8.ToArray());
        return Assert.Single(await transport.DeliverAsync(envelope, message, Ct));
    }

    private static string StartTls(params string[] extensionsAfterTls) =>
        ScriptedSmtpServer.Hello("STARTTLS") + "C: STARTTLS\nS: 220 2.0.0 go\nTLS\nC: EHLO\n"
        + string.Concat(extensionsAfterTls.Select((e, i) => (i == extensionsAfterTls.Length - 1 ? "S: 250 " : "S: 250-") + e + "\n"));

    [Fact]
    public async Task ServerAdvertisesRequireTls_MailFromCarriesIt()
    {
        _mx.Then(StartTls("scripted.test", "REQUIRETLS") + """
            C: MAIL FROM:<a@sender.test> REQUIRETLS
            S: 250 ok
            C: RCPT TO:<b@rt.test>
            S: 250 ok
            C: DATA
            S: 354 go
            BODY
            S: 250 queued
            """);
        var result = await SendAsync("b@rt.test");

        Assert.True(result.Delivered, result.Detail + " | " + string.Join("; ", _mx.Errors));
        Assert.True(result.CertificateValid);
        Assert.Equal(AppliedTlsPolicy.MtaStsEnforce, result.AppliedTlsPolicy);
        Assert.Empty(_mx.Errors);
        Assert.Contains(_mx.Commands, c => c.EndsWith(" REQUIRETLS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerWithoutRequireTls_PermanentFailure5730_NothingSent()
    {
        _mx.Then(StartTls("scripted.test", "PIPELINING"));
        var result = await SendAsync("b@rt.test");

        Assert.False(result.Delivered);
        Assert.False(result.IsTransient);
        Assert.StartsWith("5.7.30 REQUIRETLS support required", result.Detail);
        Assert.Equal((ModernMail.Delivery.SmtpStage.Tls, ModernMail.Delivery.BounceCategory.TlsRequired), (result.Stage, result.Category));
        Assert.DoesNotContain(_mx.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task MxNotAuthenticatedByAnyPolicy_PermanentFailure5730_NoConnection()
    {
        var result = await SendAsync("b@plain-rt.test");

        Assert.False(result.Delivered);
        Assert.False(result.IsTransient);
        Assert.StartsWith("5.7.30 REQUIRETLS support required", result.Detail);
        Assert.Equal((ModernMail.Delivery.SmtpStage.Tls, ModernMail.Delivery.BounceCategory.TlsRequired), (result.Stage, result.Category));
        Assert.Equal(0, _mx.ConnectionCount);
    }
}
