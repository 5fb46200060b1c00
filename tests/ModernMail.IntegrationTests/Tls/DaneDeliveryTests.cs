using System.Net.Mail;
using Microsoft.Data.Sqlite;
using ModernMail.Delivery;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.IntegrationTests.Tls;

/// <summary>DANE on delivery: knot signs dane.test (TLSA records computed from the world's Postfix certificate), a
/// validating unbound on 5303 sets AD, and the world's Postfix is the MX. Its certificate is self-signed for mx.a.test,
/// so only TLSA can authenticate it as mx-ok.dane.test.</summary>
public sealed class DaneDeliveryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-dane-delivery-" + Guid.NewGuid().ToString("N"));

    public DaneDeliveryTests()
    {
        TestWorld.EnsureDaneUp();
        Directory.CreateDirectory(_directory);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static BrokerConfig Config(bool validating = true)
    {
        var config = new BrokerConfig { HostName = "sender.test" };
        config.DnsServers.Add(TestWorld.ValidatingResolver.ToString());
        if (validating)
        {
            config.Dane.ValidatingResolvers.Add(TestWorld.ValidatingResolver.ToString());
        }
        return config;
    }

    private async Task<(DeliveryResult Result, IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)> Report)> SendAsync(BrokerConfig config, string to)
    {
        var store = new SqliteTlsStore(Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".db"));
        IReadOnlyList<DeliveryResult> results;
        await using (var transport = new SmtpTransport(config, DnsClientLookup.FromConfiguration(config, "config"), null, new TlsReportRecorder(store)))
        {
            var envelope = new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(to)]);
            using var message = new MemoryStream("From: sender@sender.test\r\nTo: x@y.test\r\nSubject: dane\r\n\r\nhello\r\n"u8.ToArray());
            results = await transport.DeliverAsync(envelope, message, Ct);
        }
        var report = await store.ReadAsync(DateOnly.FromDateTime(DateTime.UtcNow), to[(to.IndexOf('@') + 1)..], Ct);
        return (Assert.Single(results), report);
    }

    [Fact]
    public async Task MatchingTlsa_AuthenticatesTheSelfSignedMx_AndDelivers()
    {
        string to = TestWorld.Unique("dane", TestWorld.DaneDomain);
        var (result, report) = await SendAsync(Config(), to);

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal(AppliedTlsPolicy.Dane, result.AppliedTlsPolicy);
        Assert.Equal("mx-ok.dane.test", result.MxHost);
        Assert.True(result.UsedTls);
        Assert.True(result.CertificateValid);
        Assert.Single(await TestWorld.WaitForMessagesAsync(to, 1, TimeSpan.FromSeconds(30), Ct));
        var session = Assert.Single(report);
        Assert.Equal("tlsa", session.Outcome.PolicyType);
        Assert.Null(session.Outcome.ResultType);
        Assert.Contains(session.Outcome.PolicyStrings, s => s.StartsWith("3 1 1 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TlsaNotMatching_DeferredNeverSent()
    {
        string to = TestWorld.Unique("dane", "bad.dane.test");
        var (result, report) = await SendAsync(Config(), to);

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("DANE", result.Detail);
        await Task.Delay(500, Ct);
        Assert.Empty(TestWorld.GetMessages(to));
        Assert.Equal(TlsResultType.ValidationFailure, Assert.Single(report).Outcome.ResultType);
    }

    [Fact]
    public async Task UnsignedZone_TlsaIgnored_DeliveredOpportunistically()
    {
        string to = TestWorld.Unique("dane", TestWorld.NoDaneDomain);
        var (result, _) = await SendAsync(Config(), to);

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal(AppliedTlsPolicy.None, result.AppliedTlsPolicy);
        Assert.True(result.UsedTls);
        Assert.False(result.CertificateValid);
    }

    [Fact]
    public async Task ResolverNotMarkedValidating_TlsaIgnored()
    {
        string to = TestWorld.Unique("dane", "bad.dane.test");
        var (result, _) = await SendAsync(Config(validating: false), to);

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal(AppliedTlsPolicy.None, result.AppliedTlsPolicy);
    }
}
