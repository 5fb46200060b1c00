using System.Net;
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
        MxRecord[] records = [new("c", 10), new("a", 10), new("b", 10), new("z", 5), new("y", 20)];
        var seen = new HashSet<string>();
        for (int seed = 0; seed < 200; seed++)
        {
            var ordered = MxRouter.Order(records, new Random(seed));
            Assert.Equal("z", ordered[0].Host);
            Assert.Equal("y", ordered[4].Host);
            Assert.Equal(["a", "b", "c"], ordered.Skip(1).Take(3).Select(r => r.Host).Order());
            seen.Add(string.Concat(ordered.Skip(1).Take(3).Select(r => r.Host)));
        }
        // All 3! orders of the 10-preference band appear.
        Assert.Equal(6, seen.Count);
    }

    [Fact]
    public void Order_SameSeed_IsDeterministic()
    {
        MxRecord[] records = [new("a", 10), new("b", 10), new("c", 10), new("d", 10)];
        Assert.Equal(MxRouter.Order(records, new Random(42)), MxRouter.Order(records, new Random(42)));
    }

    [Fact]
    public async Task RouteAsync_NoMx_UsesDomainAsImplicitMx()
    {
        var resolver = new FakeMxResolver();
        resolver.Mx["implicit.example"] = new MxLookupResult(DnsLookupStatus.NoRecords, []);

        var route = await Router(resolver).RouteAsync("implicit.example", TestContext.Current.CancellationToken);

        Assert.Equal(RouteStatus.Ok, route.Status);
        Assert.True(route.Implicit);
        Assert.Equal("implicit.example", Assert.Single(route.Hosts).Name);
    }

    [Theory]
    [InlineData(2, 1)] // NullMx -> Permanent
    [InlineData(3, 1)] // NoSuchDomain -> Permanent
    [InlineData(4, 2)] // Failed -> Transient
    public async Task RouteAsync_Failures_AreClassified(int dnsStatus, int expectedStatus)
    {
        var dns = (DnsLookupStatus)dnsStatus;
        var expected = (RouteStatus)expectedStatus;
        var resolver = new FakeMxResolver();
        resolver.Mx["x.example"] = new MxLookupResult(dns, [], "because");

        var route = await Router(resolver).RouteAsync("x.example", TestContext.Current.CancellationToken);

        Assert.Equal(expected, route.Status);
        Assert.Empty(route.Hosts);
        Assert.Equal("because", route.Error);
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
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), DnsMxResolver.ParseServer(text));
    }
}
