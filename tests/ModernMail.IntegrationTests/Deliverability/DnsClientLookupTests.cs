using System.Net;
using System.Net.Sockets;
using ModernMail.Deliverability;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Deliverability;

/// <summary>DnsClientLookup's outcomes against the world's dnsmasq, and SPF evaluated over real DNS.</summary>
public sealed class DnsClientLookupTests : IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(WorldDns.EnsureDoctorZonesAsync(TestContext.Current.CancellationToken));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static readonly DnsClientLookup s_dns = new([WorldDns.Server], TimeSpan.FromSeconds(2));

    [Fact]
    public async Task QueryTxt_LongDkimRecord_JoinsCharacterStrings()
    {
        var result = await s_dns.QueryTxtAsync("dr2048._domainkey.dr-good.test", TestContext.Current.CancellationToken);

        Assert.Equal(DnsOutcome.Found, result.Outcome);
        var record = Assert.Single(result.Records);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIBIjAN", record);
        Assert.EndsWith("IDAQAB", record);
        Assert.True(record.Length > 255);
    }

    [Fact]
    public async Task Query_DistinguishesNxDomainFromNoData()
    {
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(DnsOutcome.NoSuchDomain, (await s_dns.QueryAAsync(TestWorld.NoSuchDomain, ct)).Outcome);
        Assert.Equal(DnsOutcome.NoRecords, (await s_dns.QueryAAsync("dr-good.test", ct)).Outcome);
        Assert.Equal(DnsOutcome.NoRecords, (await s_dns.QueryTxtAsync("mx.a.test", ct)).Outcome);
    }

    [Fact]
    public async Task QueryMxAndPtr_ReturnNamesWithoutTrailingDot()
    {
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal([new MxRecord(10, "mx.a.test")], (await s_dns.QueryMxAsync("dr-good.test", ct)).Records);
        Assert.Equal(["mx.a.test"], (await s_dns.QueryPtrAsync(IPAddress.Loopback, ct)).Records);
        Assert.Equal([IPAddress.Loopback], (await s_dns.QueryAAsync("mx.a.test", ct)).Records);
    }

    [Theory]
    [InlineData(false)] // dnsmasq answers REFUSED outside its zones
    [InlineData(true)] // unbound answers SERVFAIL: it forwards only test.
    public async Task Query_NameOutsideTheWorld_IsServerFailure(bool throughResolver)
    {
        var dns = new DnsClientLookup([throughResolver ? WorldDns.Resolver : WorldDns.Server], TimeSpan.FromSeconds(2), retries: 0);

        var result = await dns.QueryTxtAsync("outside.example", TestContext.Current.CancellationToken);

        Assert.Equal(DnsOutcome.ServerFailure, result.Outcome);
        Assert.True(result.IsTransient);
        Assert.False(result.IsMissing);
    }

    [Fact]
    public async Task Query_SilentServer_IsTimeout()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var dns = new DnsClientLookup([((IPEndPoint)silent.Client.LocalEndPoint!).ToString()], TimeSpan.FromMilliseconds(200), retries: 0);

        var result = await dns.QueryTxtAsync("dr-good.test", TestContext.Current.CancellationToken);

        Assert.Equal(DnsOutcome.Timeout, result.Outcome);
        Assert.Equal("DNS timeout", result.Describe());
    }

    [Fact]
    public async Task SpfEvaluator_OverRealDns_PassesThroughMxAndInclude()
    {
        var evaluator = new SpfEvaluator(s_dns);
        var ct = TestContext.Current.CancellationToken;

        var fromMx = await evaluator.CheckMailFromAsync(IPAddress.Loopback, "bounce@dr-good.test", "mx.a.test", ct);
        var fromInclude = await evaluator.CheckMailFromAsync(IPAddress.Parse("127.0.0.77"), "bounce@dr-good.test", "mx.a.test", ct);
        var outside = await evaluator.CheckMailFromAsync(IPAddress.Parse("127.0.1.1"), "bounce@dr-good.test", "mx.a.test", ct);

        Assert.Equal((SpfResult.Pass, 1), (fromMx.Result, fromMx.DnsLookups));
        Assert.Equal((SpfResult.Pass, 2), (fromInclude.Result, fromInclude.DnsLookups));
        Assert.Equal(SpfResult.Fail, outside.Result);
        Assert.Equal("v=spf1 mx include:_spf.dr-good.test -all", outside.Record);
    }
}
