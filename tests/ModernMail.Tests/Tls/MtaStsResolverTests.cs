using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Dns;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.Tests.Tls;

/// <summary>Discovery, fetch and caching against a real HTTPS server on loopback whose certificate comes from a test CA.</summary>
public sealed class MtaStsResolverTests : IAsyncLifetime
{
    private const string Domain = "sts.test";
    private const string Enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n";

    private readonly TestCertificateAuthority _ca = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly SwitchableDns _dns = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-sts-" + Guid.NewGuid().ToString("N"));
    private PolicyServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _server = await PolicyServer.StartAsync(_ca.Issue("mta-sts." + Domain));
        _server.Body = Enforce;
        _dns.Set(id: "1");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _ca.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private MtaStsResolver Resolver(IMtaStsPolicyStore? store = null, TestCertificateAuthority? trusted = null) =>
        new(_dns, new MtaStsOptions { HttpsPort = _server.Port, TrustedRoots = [(trusted ?? _ca).Certificate], FetchTimeout = TimeSpan.FromSeconds(10) }, store, _time, null);

    [Fact]
    public async Task FetchesOnce_ThenServesTheCacheWhileTheTxtIdIsUnchanged()
    {
        using var resolver = Resolver();
        var first = await resolver.GetAsync(Domain, Ct);
        Assert.True(first.IsEnforced);
        Assert.False(first.FromCache);
        Assert.Equal(["mx.sts.test"], first.Policy!.MxPatterns);
        var second = await resolver.GetAsync("STS.test.", Ct);
        Assert.True(second.FromCache);
        Assert.Equal(1, _server.Requests);

        // A new id means a new policy: fetched again.
        _server.Body = Enforce.Replace("enforce", "testing", StringComparison.Ordinal);
        _dns.Set(id: "2");
        var third = await resolver.GetAsync(Domain, Ct);
        Assert.Equal(MtaStsMode.Testing, third.Policy!.Mode);
        Assert.Equal("2", third.Policy.Id);
        Assert.Equal(2, _server.Requests);
    }

    [Fact]
    public async Task AnAttackerBlockingDnsOrHttps_CannotSwitchACachedPolicyOff()
    {
        using var resolver = Resolver();
        Assert.True((await resolver.GetAsync(Domain, Ct)).IsEnforced);

        _dns.Set(id: "2"); // the record changes, but the fetch fails
        _server.Status = 503;
        var fetchFailed = await resolver.GetAsync(Domain, Ct);
        Assert.True(fetchFailed.IsEnforced);
        Assert.Equal("sts-policy-fetch-error", fetchFailed.Failure);

        _dns.Set(id: null); // the TXT record is stripped
        Assert.True((await resolver.GetAsync(Domain, Ct)).IsEnforced);
        _dns.SetTimeout();
        Assert.True((await resolver.GetAsync(Domain, Ct)).IsEnforced);

        // Until max_age runs out: then the domain has no policy (and the failure is reported).
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        _dns.Set(id: "2");
        var expired = await resolver.GetAsync(Domain, Ct);
        Assert.Null(expired.Policy);
        Assert.Equal("sts-policy-fetch-error", expired.Failure);
    }

    [Fact]
    public async Task APolicyFetchedOnce_SurvivesARestart_InTheStore()
    {
        var store = new SqliteTlsStore(Path.Combine(_directory, "queue.db"));
        using (var before = Resolver(store))
        {
            Assert.True((await before.GetAsync(Domain, Ct)).IsEnforced);
        }
        _server.Status = 404;
        using var after = Resolver(new SqliteTlsStore(Path.Combine(_directory, "queue.db")));
        var lookup = await after.GetAsync(Domain, Ct);
        Assert.True(lookup.IsEnforced);
        Assert.True(lookup.FromCache);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public async Task ACertificateFromAnotherCa_IsWebPkiInvalid()
    {
        using var stranger = new TestCertificateAuthority("Someone Else");
        using var resolver = Resolver(trusted: stranger);
        var lookup = await resolver.GetAsync(Domain, Ct);
        Assert.Null(lookup.Policy);
        Assert.Equal("sts-webpki-invalid", lookup.Failure);
    }

    [Fact]
    public async Task ACertificateForAnotherName_IsWebPkiInvalid()
    {
        await _server.DisposeAsync();
        _server = await PolicyServer.StartAsync(_ca.Issue("mta-sts.other.test"));
        _server.Body = Enforce;
        using var resolver = Resolver();
        Assert.Equal("sts-webpki-invalid", (await resolver.GetAsync(Domain, Ct)).Failure);
    }

    [Fact]
    public async Task RedirectsAreNotFollowed_AndOnlyTextPlainIsAPolicy()
    {
        _server.RedirectTo = $"https://mta-sts.{Domain}:{_server.Port}/elsewhere";
        using (var resolver = Resolver())
        {
            var redirected = await resolver.GetAsync(Domain, Ct);
            Assert.Null(redirected.Policy);
            Assert.Equal("sts-policy-fetch-error", redirected.Failure);
            Assert.Contains("302", redirected.FailureDetail, StringComparison.Ordinal);
            Assert.Equal(1, _server.Requests);
        }
        _server.RedirectTo = null;
        _server.ContentType = "text/html";
        using (var resolver = Resolver())
        {
            Assert.Equal("sts-policy-invalid", (await resolver.GetAsync(Domain, Ct)).Failure);
        }
        _server.ContentType = "text/plain";
        _server.Body = Enforce + new string('#', MtaStsPolicy.MaxBytes);
        using (var resolver = Resolver())
        {
            var large = await resolver.GetAsync(Domain, Ct);
            Assert.Equal("sts-policy-invalid", large.Failure);
            Assert.Contains("larger than", large.FailureDetail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AFailedFetch_IsRememberedForTheRetryInterval_OrUntilTheIdChanges()
    {
        _server.Status = 500;
        using var resolver = Resolver();
        Assert.Equal("sts-policy-fetch-error", (await resolver.GetAsync(Domain, Ct)).Failure);
        Assert.Equal("sts-policy-fetch-error", (await resolver.GetAsync(Domain, Ct)).Failure);
        Assert.Equal(1, _server.Requests);

        _server.Status = 200;
        _time.Advance(MtaStsResolver.FailureRetryInterval);
        Assert.True((await resolver.GetAsync(Domain, Ct)).IsEnforced);
        Assert.Equal(2, _server.Requests);

        // A new id is a new policy to fetch, whatever failed before.
        _server.Status = 500;
        _dns.Set(id: "9");
        await resolver.GetAsync(Domain, Ct);
        _dns.Set(id: "10");
        await resolver.GetAsync(Domain, Ct);
        Assert.Equal(4, _server.Requests);
    }

    [Fact]
    public async Task NoTxtRecord_IsNoPolicy_WithoutAFetch_AndABrokenPolicyIsInvalid()
    {
        _dns.Set(id: null);
        using (var resolver = Resolver())
        {
            Assert.Same(MtaStsLookup.NoPolicy, await resolver.GetAsync(Domain, Ct));
            Assert.Equal(0, _server.Requests);
        }
        _dns.Set(id: "3");
        _server.Body = "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n";
        using (var resolver = Resolver())
        {
            var broken = await resolver.GetAsync(Domain, Ct);
            Assert.Null(broken.Policy);
            Assert.Equal("sts-policy-invalid", broken.Failure);
        }
    }

    [Fact]
    public async Task ConcurrentLookups_ShareOneFetch()
    {
        using var resolver = Resolver();
        var lookups = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => resolver.GetAsync(Domain, Ct)));
        Assert.All(lookups, l => Assert.True(l.IsEnforced));
        Assert.Equal(1, _server.Requests);
    }

    /// <summary>The test's DNS: _mta-sts TXT with a settable id, and mta-sts.sts.test on 127.0.0.1.</summary>
    private sealed class SwitchableDns : IDnsLookup
    {
        private volatile InMemoryDnsLookup _current = new();

        public void Set(string? id)
        {
            var dns = new InMemoryDnsLookup();
            dns.AddAddress("mta-sts." + Domain, IPAddress.Loopback);
            if (id is not null)
            {
                dns.AddTxt("_mta-sts." + Domain, "v=STSv1; id=" + id);
            }
            _current = dns;
        }

        public void SetTimeout()
        {
            var dns = new InMemoryDnsLookup();
            dns.AddTimeout("_mta-sts." + Domain);
            _current = dns;
        }

        public Task<DnsQueryResult<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) => _current.QueryTxtAsync(name, cancellationToken);

        public Task<DnsQueryResult<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) => _current.QueryAAsync(name, cancellationToken);

        public Task<DnsQueryResult<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) => _current.QueryAaaaAsync(name, cancellationToken);

        public Task<DnsQueryResult<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) => _current.QueryMxAsync(name, cancellationToken);

        public Task<DnsQueryResult<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) => _current.QueryPtrAsync(address, cancellationToken);

        public Task<DnsQueryResult<TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken = default) => _current.QueryTlsaAsync(name, cancellationToken);
    }
}
