using System.Net;
using ModernMail.Dns;
using ModernMail.Routing.Internal;
using Xunit;

namespace ModernMail.Tests.Routing;

public class MxRouterTests
{
    private static MxRouter Router(FakeMxResolver resolver, int seed = 1, Dictionary<string, string>? routes = null)
        => new(resolver, routes ?? [], 25, new Random(seed));

    [Fact]
    public async Task RouteAsync_SortsByPreference()
    {
        var resolver = new FakeMxResolver().WithMx("example.com", ("mx30.example.com", 30), ("mx10.example.com", 10), ("mx20.example.com", 20));

        var route = await Router(resolver).RouteAsync("example.com", TestContext.Current.CancellationToken);

        Assert.Equal(RouteStatus.Ok, route.Status);
        Assert.Equal(["mx10.example.com", "mx20.example.com", "mx30.example.com"], route.Hosts.Select(h => h.Name));
        Assert.All(route.Hosts, h => Assert.Equal(25, h.Port));
    }

    [Fact]
    public void Order_EqualPreferences_AreShuffledButStayInTheirBand()
    {
        MxRecord[] records = [new(10, "c"), new(10, "a"), new(10, "b"), new(5, "z"), new(20, "y")];
        var seen = new HashSet<string>();
        for (int seed = 0; seed < 200; seed++)
        {
            var ordered = MxRouter.Order(records, new Random(seed));
            Assert.Equal("z", ordered[0].Exchange);
            Assert.Equal("y", ordered[4].Exchange);
            Assert.Equal(["a", "b", "c"], ordered.Skip(1).Take(3).Select(r => r.Exchange).Order());
            seen.Add(string.Concat(ordered.Skip(1).Take(3).Select(r => r.Exchange)));
        }
        // All 3! orders of the 10-preference band appear.
        Assert.Equal(6, seen.Count);
    }

    [Fact]
    public void Order_SameSeed_IsDeterministic()
    {
        MxRecord[] records = [new(10, "a"), new(10, "b"), new(10, "c"), new(10, "d")];
        Assert.Equal(MxRouter.Order(records, new Random(42)), MxRouter.Order(records, new Random(42)));
    }

    [Fact]
    public async Task RouteAsync_NoMx_UsesDomainAsImplicitMx()
    {
        var resolver = new FakeMxResolver();
        resolver.Zone.AddAddress("implicit.example", IPAddress.Parse("192.0.2.1"));

        var route = await Router(resolver).RouteAsync("implicit.example", TestContext.Current.CancellationToken);

        Assert.Equal(RouteStatus.Ok, route.Status);
        Assert.True(route.Implicit);
        Assert.Equal("implicit.example", Assert.Single(route.Hosts).Name);
    }

    [Theory]
    [InlineData("null-mx", false, "null MX")]
    [InlineData("nxdomain", false, "NXDOMAIN")]
    [InlineData("servfail", true, "SERVFAIL")]
    [InlineData("timeout", true, "DNS timeout")]
    public async Task RouteAsync_Failures_AreClassified(string answer, bool transient, string error)
    {
        var resolver = new FakeMxResolver();
        switch (answer)
        {
            case "null-mx":
                resolver.Zone.AddMx("x.example", 0, ".");
                break;
            case "servfail":
                resolver.Zone.AddServerFailure("x.example");
                break;
            case "timeout":
                resolver.Zone.AddTimeout("x.example");
                break;
        }

        var route = await Router(resolver).RouteAsync("x.example", TestContext.Current.CancellationToken);

        Assert.Equal(transient ? RouteStatus.Transient : RouteStatus.Permanent, route.Status);
        Assert.Empty(route.Hosts);
        Assert.Contains(error, route.Error);
    }

    [Fact]
    public async Task RouteAsync_NullMxBesideRealMx_UsesTheRealOne()
    {
        var resolver = new FakeMxResolver().WithMx("x.example", (".", 0), ("mx.x.example", 10));

        var route = await Router(resolver).RouteAsync("x.example", TestContext.Current.CancellationToken);

        Assert.Equal(RouteStatus.Ok, route.Status);
        Assert.Equal("mx.x.example", Assert.Single(route.Hosts).Name);
    }

    [Fact]
    public async Task LookupAddresses_JoinsIpv4ThenIpv6_AndTellsMissingFromFailed()
    {
        var resolver = new FakeMxResolver().WithHost("both.example", "2001:db8::1", "192.0.2.1");
        resolver.Zone.AddMx("mx-only.example", 10, "elsewhere.example");
        resolver.Zone.AddServerFailure("broken.example");
        var router = Router(resolver);
        var ct = TestContext.Current.CancellationToken;

        var both = await router.LookupAddressesAsync("both.example", ct);
        var literal = await router.LookupAddressesAsync("192.0.2.9", ct);
        var none = await router.LookupAddressesAsync("mx-only.example", ct);
        var missing = await router.LookupAddressesAsync("nosuch.example", ct);
        var broken = await router.LookupAddressesAsync("broken.example", ct);

        Assert.Equal(DnsOutcome.Found, both.Outcome);
        Assert.Equal(["192.0.2.1", "2001:db8::1"], both.Addresses.Select(a => a.ToString()));
        Assert.Equal(DnsOutcome.Found, literal.Outcome);
        Assert.Equal("192.0.2.9", Assert.Single(literal.Addresses).ToString());
        Assert.Equal(DnsOutcome.NoRecords, none.Outcome);
        Assert.Equal(DnsOutcome.NoSuchDomain, missing.Outcome);
        Assert.Contains("NXDOMAIN", missing.Error);
        Assert.Equal(DnsOutcome.ServerFailure, broken.Outcome);
        Assert.Contains("SERVFAIL", broken.Error);
        Assert.DoesNotContain("A 192.0.2.9", resolver.Questions);
    }

    [Fact]
    public async Task RouteAsync_StaticRoutes_SkipDnsAndDomainBeatsWildcard()
    {
        var resolver = new FakeMxResolver();
        var router = Router(resolver, routes: new() { ["*"] = "127.0.0.1:2525", ["Special.Example"] = "relay.example:587" });

        var special = await router.RouteAsync("special.example", TestContext.Current.CancellationToken);
        var other = await router.RouteAsync("other.example", TestContext.Current.CancellationToken);

        Assert.Equal(new RouteHost("relay.example", 587), Assert.Single(special.Hosts));
        Assert.Equal(new RouteHost("127.0.0.1", 2525, IPAddress.Loopback), Assert.Single(other.Hosts));
        Assert.Empty(resolver.Questions);
    }

    [Theory]
    [InlineData("mx.example", "mx.example", 25)]
    [InlineData("mx.example:2525", "mx.example", 2525)]
    [InlineData("[::1]:2525", "::1", 2525)]
    [InlineData("[::1]", "::1", 25)]
    [InlineData("::1", "::1", 25)]
    public void ParseRoute_Forms(string text, string host, int port)
    {
        var route = MxRouter.ParseRoute(text, 25);
        Assert.Equal(host, route.Name);
        Assert.Equal(port, route.Port);
    }

    [Theory]
    [InlineData("mx.example:0")]
    [InlineData("mx.example:x")]
    [InlineData("mx.example\r\nMAIL FROM:<x>")]
    [InlineData("[::1")]
    public void ParseRoute_Invalid_Throws(string text)
    {
        Assert.Throws<ArgumentException>(() => MxRouter.ParseRoute(text, 25));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 53)]
    [InlineData("127.0.0.1:5300", "127.0.0.1", 5300)]
    [InlineData("::1", "::1", 53)]
    [InlineData("[::1]:5300", "::1", 5300)]
    public void ParseServer_Forms(string text, string address, int port)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), DnsClientLookup.ParseServer(text));
    }
}
