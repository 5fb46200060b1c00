using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery;
using ModernMail.Delivery.Shaping;
using ModernMail.Queue;
using ModernMail.Tests.Queue;
using Xunit;

namespace ModernMail.Tests.Delivery.Shaping;

/// <summary>Traffic shaping through the real transport against a counting MX on loopback: limits hold under concurrent sends,
/// 421 "unusual rate" replies slow the destination down and suspend it, suspended recipients wait untried, and recovery follows.</summary>
public sealed class ShapedDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectionsAtOnce_AndMessagesPerConnection_HoldUnderTwentyConcurrentSends()
    {
        await using var mx = new CountingMx { Delay = TimeSpan.FromMilliseconds(30) };
        await using var transport = new SmtpTransport(Config(mx, TimeProvider.System, new ShapingRule
        {
            Name = "shaped",
            Domains = ["shaped.test"],
            MaxConnections = 2,
            MaxMessagesPerConnection = 3,
        }));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => SendAsync(transport, $"r{i}@shaped.test")));

        Assert.All(results, r => Assert.True(r.Delivered, r.Detail));
        Assert.Equal(20, mx.Accepted);
        Assert.InRange(mx.MaxOpen, 1, 2);
        Assert.InRange(mx.MaxMessagesOnOneConnection, 1, 3);
        Assert.True(mx.Connections >= 7, $"{mx.Connections} connections for 20 messages at 3 per connection");
        var destination = Assert.Single(transport.Destinations);
        Assert.Equal("shaped", destination.Name);
        Assert.Equal(20, destination.Delivered);
        Assert.True(destination.Connections <= 2);
    }

    [Fact]
    public async Task MessagesPerMinute_HoldsTheRest_UntriedUntilTheWindowHasRoom()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        await using var mx = new CountingMx();
        await using var transport = new SmtpTransport(Config(mx, time, new ShapingRule { Name = "slow", Domains = ["slow.test"], MessagesPerMinute = 3 }, maxWait: TimeSpan.Zero));

        var results = new List<DeliveryResult>();
        for (int i = 0; i < 5; i++)
        {
            results.Add(await SendAsync(transport, $"r{i}@slow.test"));
        }

        Assert.Equal(3, mx.Accepted);
        Assert.All(results.Take(3), r => Assert.True(r.Delivered, r.Detail));
        Assert.All(results.Skip(3), r =>
        {
            Assert.False(r.Delivered);
            Assert.True(r.IsTransient);
            Assert.Equal(BounceCategory.RateLimited, r.Category);
            Assert.Equal(time.GetUtcNow().AddMinutes(1), r.RetryAfter);
            Assert.Contains("message rate", r.Detail, StringComparison.Ordinal);
        });

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await SendAsync(transport, "late@slow.test")).Delivered);
        Assert.Equal(4, mx.Accepted);
    }

    [Fact]
    public async Task UnusualRateReplies_HalveTheLimits_ThenSuspend_AndNothingIsTriedUntilTheSuspensionEnds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        await using var mx = new CountingMx { Throttle = _ => true };
        await using var transport = new SmtpTransport(Config(mx, time, new ShapingRule
        {
            Name = "gmail-like",
            Domains = ["busy.test"],
            MaxConnections = 8,
            SuspendAfter = 2,
            SuspendFor = TimeSpan.FromHours(1),
        }));

        var first = await SendAsync(transport, "a@busy.test");
        Assert.True(first.IsTransient, first.Detail);
        Assert.Equal(BounceCategory.RateLimited, first.Category);
        Assert.Null(first.RetryAfter);
        var slowed = Assert.Single(transport.Destinations);
        Assert.Equal(0.5, slowed.Factor);
        Assert.Equal(4, slowed.EffectiveMaxConnections);
        Assert.Contains("4.7.28", slowed.LastError, StringComparison.Ordinal);

        var second = await SendAsync(transport, "b@busy.test");
        Assert.True(second.IsTransient);
        var suspended = Assert.Single(transport.Destinations);
        Assert.Equal(time.GetUtcNow().AddHours(1), suspended.SuspendedUntil);

        int connections = mx.Connections;
        var held = await SendAsync(transport, "c@busy.test");
        Assert.True(held.IsTransient);
        Assert.False(held.Delivered);
        Assert.Equal(time.GetUtcNow().AddHours(1), held.RetryAfter);
        Assert.Equal(connections, mx.Connections); // no connection while suspended

        // The hour passes and the receiver is happy again: delivered, still at half the limits, then grown back.
        mx.Throttle = _ => false;
        time.Advance(TimeSpan.FromHours(1));
        Assert.True((await SendAsync(transport, "d@busy.test")).Delivered);
        var resumed = Assert.Single(transport.Destinations);
        Assert.Null(resumed.SuspendedUntil);
        Assert.Equal(0.25, resumed.Factor); // halved twice, and the hour of suspension does not count as recovery yet
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0.5, Assert.Single(transport.Destinations).Factor);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, Assert.Single(transport.Destinations).Factor);
    }

    [Fact]
    public async Task InTheQueue_ThrottledRecipientsAreDeferredToTheSuspensionEnd_NeverBounced_AndAllArrive()
    {
        // One delivery at a time, so the 421 to the first is seen before the next one starts.
        await using var bed = new QueueTestBed(o => { o.SendBounces = false; o.MaxConcurrentDeliveries = 1; });
        int mails = 0;
        await using var mx = new CountingMx { Throttle = _ => ++mails == 1 }; // only the first MAIL (called under the MX's lock)
        await using var transport = new SmtpTransport(Config(mx, bed.Time, new ShapingRule
        {
            Name = "busy",
            Domains = ["busy.test"],
            SuspendAfter = 1,
            SuspendFor = TimeSpan.FromMinutes(30),
        }));
        await using var worker = new QueueWorker(bed.Queue, transport);
        var ids = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            ids.Add(await bed.EnqueueAsync("sender@sender.test", $"r{i}@busy.test"));
        }

        await worker.RunDueAsync(Ct);
        var start = bed.Time.GetUtcNow();
        var first = Assert.Single((await bed.Queue.GetAsync(ids[0], Ct))!.Recipients);
        Assert.Equal(RecipientState.Deferred, first.State);
        Assert.Contains("4.7.28", first.LastReply, StringComparison.Ordinal);
        foreach (string id in ids.Skip(1))
        {
            // Held back untried: no attempt counted, due exactly when the suspension ends.
            var held = Assert.Single((await bed.Queue.GetAsync(id, Ct))!.Recipients);
            Assert.Equal(RecipientState.Deferred, held.State);
            Assert.Equal(0, held.Attempts);
            Assert.Equal(start.AddMinutes(30), held.NextAttemptAt);
            Assert.Contains("held back by traffic shaping", held.LastReply, StringComparison.Ordinal);
        }
        // One message met the 421 and caused the suspension; the rest waited without a connection.
        Assert.Equal(1, mx.Throttled);
        Assert.Equal(1, mx.Connections);

        bed.Time.Advance(TimeSpan.FromMinutes(30));
        await worker.RunDueAsync(Ct);
        foreach (string id in ids.Skip(1))
        {
            Assert.Equal(RecipientState.Delivered, Assert.Single((await bed.Queue.GetAsync(id, Ct))!.Recipients).State);
        }
        // The throttled one comes back on its own retry schedule; nothing ever bounced.
        if (first.NextAttemptAt > bed.Time.GetUtcNow())
        {
            bed.Time.Advance(first.NextAttemptAt!.Value - bed.Time.GetUtcNow());
        }
        await worker.RunDueAsync(Ct);
        foreach (string id in ids)
        {
            var recipient = Assert.Single((await bed.Queue.GetAsync(id, Ct))!.Recipients);
            Assert.True(recipient.State == RecipientState.Delivered, $"{recipient.State} {recipient.NextAttemptAt} {recipient.LastReply}");
        }
        Assert.Equal(4, mx.Accepted);
    }

    [Fact]
    public async Task SourcePools_SendFromTheirAddresses_WithTheirHeloNames_AndLimitsHoldPerSourceAndDestination()
    {
        await using var mx = new CountingMx { Delay = TimeSpan.FromMilliseconds(30) };
        var config = Config(mx, TimeProvider.System, new ShapingRule { Name = "shaped", Domains = ["shaped.test"], MaxConnections = 1, MaxMessagesPerConnection = 2 });
        config.Shaping.SourcePools.Add(new SourcePool
        {
            Name = "bulk",
            SenderDomains = ["sender.test"],
            Addresses = [new SourceAddress { Address = "127.0.0.2", HeloName = "out2.sender.test" }, new SourceAddress { Address = "127.0.0.3", HeloName = "out3.sender.test" }],
        });
        config.Shaping.SourcePools.Add(new SourcePool { Name = "other", SenderDomains = ["*"], Addresses = [new SourceAddress { Address = "127.0.0.4" }] });
        await using var transport = new SmtpTransport(config);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => SendAsync(transport, $"r{i}@shaped.test")));
        var other = await SendAsync(transport, "x@shaped.test", sender: "someone@elsewhere.test");

        Assert.All(results, r => Assert.True(r.Delivered, r.Detail));
        Assert.True(other.Delivered, other.Detail);
        Assert.Equal(13, mx.Accepted);
        // Each source greets with its own name; the "*" pool's address with the transport's host name.
        Assert.All(mx.Greetings, g => Assert.Equal(g.Remote switch { "127.0.0.2" => "out2.sender.test", "127.0.0.3" => "out3.sender.test", _ => "client.test" }, g.Helo));
        Assert.Equal(["127.0.0.2", "127.0.0.3", "127.0.0.4"], mx.Greetings.Select(g => g.Remote).Distinct().Order());
        // One connection at once per (source, destination): two sources, so up to two together.
        Assert.All(mx.MaxOpenByRemote.Values, max => Assert.Equal(1, max));
        Assert.InRange(mx.MaxOpen, 1, 3);
        Assert.Contains(transport.Destinations, d => d.Name == "shaped@127.0.0.2");
        Assert.Contains(transport.Destinations, d => d.Name == "shaped@127.0.0.3");
    }

    [Fact]
    public async Task ARulesTlsPolicy_AppliesToItsDestinationOnly()
    {
        await using var mx = new CountingMx(); // offers no STARTTLS
        var config = Config(mx, TimeProvider.System, new ShapingRule { Name = "strict", Domains = ["strict.test"], Tls = TlsPolicy.Required });
        await using var transport = new SmtpTransport(config);

        var strict = await SendAsync(transport, "a@strict.test");
        var plain = await SendAsync(transport, "a@plain.test");

        Assert.False(strict.Delivered);
        Assert.True(strict.IsTransient, strict.Detail);
        Assert.Contains("TLS is required", strict.Detail, StringComparison.Ordinal);
        Assert.True(plain.Delivered, plain.Detail); // the configured policy (opportunistic) elsewhere
        Assert.Equal(1, mx.Accepted);
    }

    private static async Task<DeliveryResult> SendAsync(SmtpTransport transport, string recipient, string sender = "sender@sender.test")
    {
        var envelope = new Envelope(new MailAddress(sender), [new MailAddress(recipient)]);
        byte[] message = Encoding.ASCII.GetBytes($"From: sender@sender.test\r\nTo: {recipient}\r\nSubject: shaped\r\n\r\nhello\r\n");
        return Assert.Single(await transport.DeliverAsync(envelope, new MemoryStream(message), Ct));
    }

    private static BrokerConfig Config(CountingMx mx, TimeProvider time, ShapingRule rule, TimeSpan? maxWait = null)
    {
        var config = new BrokerConfig { HostName = "client.test", TimeProvider = time, MaxParallelDomains = 1 };
        config.Routes["*"] = $"127.0.0.1:{mx.Port}";
        config.Shaping.Rules.Add(rule);
        if (maxWait is { } wait)
        {
            config.Shaping.MaxWait = wait;
        }
        return config;
    }
}
