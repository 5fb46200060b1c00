using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery.Internal.Shaping;
using ModernMail.Delivery.Shaping;
using ModernMail.Routing.Internal;
using Xunit;

namespace ModernMail.Tests.Delivery.Shaping;

public sealed class TrafficShaperTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SlidingWindow_AllowsNInAnyPeriod_AndSaysWhenTheNextFits()
    {
        var window = new SlidingWindow(3, TimeSpan.FromMinutes(1));
        foreach (int second in (int[])[0, 10, 20])
        {
            Assert.Equal(TimeSpan.Zero, window.Wait(s_start.AddSeconds(second), 3));
            window.Add(s_start.AddSeconds(second));
        }
        // The fourth fits when the first leaves the window, 60 s after it; not a token earlier.
        Assert.Equal(TimeSpan.FromSeconds(30), window.Wait(s_start.AddSeconds(30), 3));
        Assert.Equal(TimeSpan.Zero, window.Wait(s_start.AddSeconds(60), 3));
        window.Add(s_start.AddSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(10), window.Wait(s_start.AddSeconds(60), 3));
        // A lower limit (after back-off) counts the same events.
        Assert.Equal(TimeSpan.FromSeconds(20), window.Wait(s_start.AddSeconds(60), 2));
    }

    [Fact]
    public void Destinations_AreMatchedByDomainFirst_ThenByMxSuffix_ElsePerMxSet()
    {
        var options = new TrafficShaping();
        options.Rules.Add(new ShapingRule { Name = "vip", Domains = ["vip.test"], MaxConnections = 1 });
        var shaper = TrafficShaper.Create(options, new FakeTimeProvider(s_start), NullLogger.Instance)!;

        var google = shaper.For("example.org", [new RouteHost("aspmx.l.google.com.", 25), new RouteHost("alt1.aspmx.l.google.com", 25)], staticRoute: false)!;
        var workspace = shaper.For("customer.test", [new RouteHost("ASPMX.L.GOOGLE.COM", 25)], staticRoute: false)!;
        Assert.Same(google, workspace); // one provider, one budget
        Assert.Equal("google", google.Name);
        Assert.Equal(5, google.Rule.MaxConnections);
        Assert.Equal(100, google.Rule.ConnectionsPerMinute); // unset in the provider rule: the default's

        Assert.Equal("vip", shaper.For("mail.vip.test", [new RouteHost("mx.google.com", 25)], staticRoute: false)!.Name);
        Assert.Equal("yahoo", shaper.For("aol.test", [new RouteHost("mx-aol.mail.gm0.yahoodns.net", 25)], staticRoute: false)!.Name);

        var a = shaper.For("a.test", [new RouteHost("mx2.shared.test", 25), new RouteHost("mx1.shared.test", 25)], staticRoute: false)!;
        var b = shaper.For("b.test", [new RouteHost("mx1.shared.test", 25), new RouteHost("mx2.shared.test", 25)], staticRoute: false)!;
        Assert.Same(a, b);
        Assert.Equal("default:mx1.shared.test,mx2.shared.test", a.Name);
        Assert.NotSame(a, shaper.For("c.test", [new RouteHost("mx.other.test", 25)], staticRoute: false));

        // A smart host the operator routed to is not a mailbox provider: unshaped unless a rule names it.
        Assert.Null(shaper.For("d.test", [new RouteHost("127.0.0.1", 2525)], staticRoute: true));
        Assert.Equal("vip", shaper.For("vip.test", [new RouteHost("127.0.0.1", 2525)], staticRoute: true)!.Name);
    }

    [Fact]
    public void UserRules_ReplaceShippedOnesOfTheSameName_AndProviderDefaultsCanBeTurnedOff()
    {
        var options = new TrafficShaping();
        options.Rules.Add(new ShapingRule { Name = "google", MxSuffixes = [".google.com"], MaxConnections = 2 });
        var shaper = TrafficShaper.Create(options, TimeProvider.System, NullLogger.Instance)!;
        Assert.Equal(2, shaper.For("gmail.com", [new RouteHost("gmail-smtp-in.l.google.com", 25)], staticRoute: false)!.Rule.MaxConnections);

        var none = TrafficShaper.Create(new TrafficShaping { ProviderDefaults = false }, TimeProvider.System, NullLogger.Instance)!;
        Assert.StartsWith("default:", none.For("gmail.com", [new RouteHost("gmail-smtp-in.l.google.com", 25)], staticRoute: false)!.Name, StringComparison.Ordinal);
        Assert.Null(TrafficShaper.Create(new TrafficShaping { Enabled = false }, TimeProvider.System, NullLogger.Instance));
    }

    [Theory]
    [InlineData("", "x.test", null, "needs a Name")]
    [InlineData("r", null, null, "give Domains or MxSuffixes")]
    [InlineData("r", "x.test", 0, "MaxConnections must be between 1 and 1000000")]
    public void InvalidRules_AreRefusedWithTheirName(string name, string? domain, int? connections, string message)
    {
        var options = new TrafficShaping();
        options.Rules.Add(new ShapingRule { Name = name, Domains = domain is null ? [] : [domain], MaxConnections = connections });
        var ex = Assert.Throws<ArgumentException>(() => TrafficShaper.Create(options, TimeProvider.System, NullLogger.Instance));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadSuspendPattern_IsRefused()
    {
        var options = new TrafficShaping();
        options.Rules.Add(new ShapingRule { Name = "r", Domains = ["x.test"], SuspendOnReply = "([" });
        Assert.Contains("SuspendOnReply", Assert.Throws<ArgumentException>(() => TrafficShaper.Create(options, TimeProvider.System, NullLogger.Instance)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void YahooTss04_SuspendsAtOnce_ForTwoHours()
    {
        var time = new FakeTimeProvider(s_start);
        var shaper = TrafficShaper.Create(new TrafficShaping(), time, NullLogger.Instance)!;
        var yahoo = shaper.For("yahoo.com", [new RouteHost("mta5.am0.yahoodns.net", 25)], staticRoute: false)!;
        yahoo.Throttled(time.GetUtcNow(), "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints");
        Assert.Equal(s_start.AddHours(2), yahoo.SuspendedUntil(time.GetUtcNow()));
        time.Advance(TimeSpan.FromHours(2));
        Assert.Null(yahoo.SuspendedUntil(time.GetUtcNow()));
    }

    [Fact]
    public async Task ConnectionSlots_AreBoundedByTheBackedOffLimit_AndReleasedSlotsWakeAWaiter()
    {
        var time = new FakeTimeProvider(s_start);
        var options = new TrafficShaping();
        options.Rules.Add(new ShapingRule { Name = "r", Domains = ["x.test"], MaxConnections = 4, ConnectionsPerMinute = 1000 });
        var shaper = TrafficShaper.Create(options, time, NullLogger.Instance)!;
        var destination = shaper.For("x.test", [new RouteHost("mx.x.test", 25)], staticRoute: false)!;
        destination.Throttled(time.GetUtcNow(), "421 4.7.28 slow down");
        Assert.Equal(TimeSpan.Zero, destination.TryOpen(time.GetUtcNow()));
        Assert.Equal(TimeSpan.Zero, destination.TryOpen(time.GetUtcNow()));
        Assert.Equal(Timeout.InfiniteTimeSpan, destination.TryOpen(time.GetUtcNow())); // 4 halved: 2

        var waiting = destination.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        destination.Release();
        Assert.True(await waiting);
        Assert.Equal(TimeSpan.Zero, destination.TryOpen(time.GetUtcNow()));
    }

    [Fact]
    public void SourcePools_AreCheckedWhenTheTransportIsBuilt()
    {
        var config = new ModernMail.BrokerConfig { HostName = "client.test" };
        config.Shaping.SourcePools.Add(new SourcePool { Name = "p", SenderDomains = ["*"], Addresses = [new SourceAddress { Address = "not-an-ip" }] });
        Assert.Contains("\"not-an-ip\" is not an IP address", Assert.Throws<ArgumentException>(() => new ModernMail.Delivery.SmtpTransport(config)).Message, StringComparison.Ordinal);
        config.Shaping.SourcePools[0] = new SourcePool { Name = "p", SenderDomains = ["*"], Addresses = [new SourceAddress { Address = "127.0.0.2", HeloName = "bad name" }] };
        Assert.Throws<ArgumentException>(() => new ModernMail.Delivery.SmtpTransport(config));
    }
}
