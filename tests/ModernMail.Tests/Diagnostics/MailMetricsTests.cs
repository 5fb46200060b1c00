using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Mail;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Dns;
using ModernMail.Queue;
using ModernMail.Routing.Internal;
using ModernMail.Tests.Delivery;
using ModernMail.Tests.Queue;
using Xunit;
using static ModernMail.Tests.Queue.ScriptedTransport;

namespace ModernMail.Tests.Diagnostics;

/// <summary>The meter and activity source are process-wide: these tests run alone so no other test's deliveries are counted.</summary>
[CollectionDefinition(nameof(MailMetricsTests), DisableParallelization = true)]
public sealed class MailMetricsCollection;

[Collection(nameof(MailMetricsTests))]
public sealed class MailMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueueWorker_DeliveredAndBounced_CountsRecipientsByOutcomeProviderAndCategory()
    {
        using var telemetry = new TelemetryRecorder();
        // No DSN: its delivery would be counted too.
        await using var bed = new QueueTestBed(o => o.SendBounces = false);
        var transport = new ScriptedTransport((address, _) => address.StartsWith("gone", StringComparison.Ordinal)
            ? Reply(550, "5.1.1", "User unknown")
            : Reply(250, "2.0.0", "OK"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        await bed.EnqueueAsync("sender@sender.test", "ok@gmail.com", "gone@example.org");
        bed.Time.Advance(TimeSpan.FromSeconds(30));

        await worker.RunDueAsync(Ct);

        Assert.Equal(1, telemetry.Sum("modernmail.messages.submitted", ("door", "queue")));
        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "delivered"), ("provider", "google"), ("category", "None")));
        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "bounced"), ("provider", "other"), ("category", "InvalidRecipient")));
        Assert.Equal(2, telemetry.Sum("modernmail.recipients"));
        var latency = Assert.Single(telemetry.Measurements("modernmail.delivery.latency"));
        Assert.Equal(30, latency.Value, precision: 3);
        Assert.Equal("google", latency.Tags["provider"]);
        // No tag carries an address or a raw domain.
        Assert.DoesNotContain(telemetry.All, m => m.Tags.Values.Any(v => v is string s && (s.Contains('@') || s.Contains("example.org", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task QueueWorker_DeliverSpan_ContinuesTheTraceOfTheSubmission_AndFailsOnBounce()
    {
        using var telemetry = new TelemetryRecorder();
        await using var bed = new QueueTestBed(o => o.SendBounces = false);
        var transport = new ScriptedTransport((_, _) => Reply(550, "5.1.1", "User unknown"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        string id = await bed.EnqueueAsync("sender@sender.test", "gone@a.test");

        await worker.RunDueAsync(Ct);

        var submit = Assert.Single(telemetry.Spans, a => a.OperationName == "submit");
        Assert.Equal("queue", submit.GetTagItem("modernmail.door"));
        var deliver = Assert.Single(telemetry.Spans, a => a.OperationName == "deliver");
        Assert.Equal(submit.TraceId, deliver.TraceId);
        // The store commits: the enqueue under submit, the outcome under deliver.
        var commits = telemetry.Spans.Where(a => a.OperationName == "store.commit").ToList();
        Assert.Contains(commits, c => c.ParentSpanId == submit.SpanId);
        Assert.Contains(commits, c => c.ParentSpanId == deliver.SpanId);
        Assert.Equal(submit.SpanId, deliver.ParentSpanId);
        Assert.Equal(id, deliver.GetTagItem("modernmail.message.id"));
        Assert.Equal(ActivityStatusCode.Error, deliver.Status);
    }

    [Fact]
    public async Task Enqueue_SuppressedRecipient_IsCountedAsSuppressedAtTheDoor()
    {
        using var telemetry = new TelemetryRecorder();
        await using var bed = new QueueTestBed();
        await bed.Queue.EnsureInitializedAsync(Ct);
        await bed.Queue.Store.AddSuppressionAsync(new Suppression("blocked@outlook.com", Suppression.GlobalScope, SuppressionReason.Manual, bed.Time.GetUtcNow()), Ct);

        await bed.EnqueueAsync("sender@sender.test", "blocked@outlook.com", "fine@a.test");

        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "suppressed"), ("provider", "outlook")));
        Assert.Equal(1, telemetry.Sum("modernmail.recipients"));
    }

    [Fact(Timeout = 30000)]
    public async Task MailBroker_Send_CountsTheLibraryDoor_AndOneAttemptSpanWithItsRecipients()
    {
        using var telemetry = new TelemetryRecorder();
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME")
            + "C: MAIL FROM:<sender@sender.test>\nC: RCPT TO:<a1@a.test>\nC: RCPT TO:<a2@a.test>\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 550 5.1.1 No such user\nS: 354 go\nBODY\nS: 250 queued\n");
        var config = new BrokerConfig { HostName = "client.test", DkimConfig = DkimKeyPair.GenerateEd25519().ToConfig("sender.test", "ed") };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        using var message = new MailMessage("sender@sender.test", "a1@a.test", "Metrics", "Hello");
        message.To.Add("a2@a.test");

        await using (var broker = new MailBroker(config))
        {
            var results = await broker.SendAsync(message, Ct);
            Assert.Equal([true, false], results.Select(r => r.Delivered));
        }
        await server.DisposeAsync();

        Assert.Equal(1, telemetry.Sum("modernmail.messages.submitted", ("door", "library")));
        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "delivered")));
        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "bounced"), ("category", "InvalidRecipient")));
        var attempt = Assert.Single(telemetry.Spans, a => a.OperationName == "attempt");
        Assert.Equal(ActivityKind.Client, attempt.Kind);
        Assert.Equal(2, attempt.GetTagItem("modernmail.recipients"));
        Assert.Equal(1, attempt.GetTagItem("modernmail.recipients.delivered"));
        Assert.Equal(ActivityStatusCode.Unset, attempt.Status);
        var submit = Assert.Single(telemetry.Spans, a => a.OperationName == "submit");
        Assert.Equal(submit.SpanId, attempt.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, submit.Status); // one recipient was not delivered
        Assert.Single(telemetry.Spans, a => a.OperationName == "sign");
        // The steps inside: compose under submit; connect and the SMTP transaction under the attempt (no TLS offered here).
        Assert.Equal(submit.SpanId, Assert.Single(telemetry.Spans, a => a.OperationName == "compose").ParentSpanId);
        Assert.Equal(attempt.SpanId, Assert.Single(telemetry.Spans, a => a.OperationName == "connect").ParentSpanId);
        var transaction = Assert.Single(telemetry.Spans, a => a.OperationName == "smtp.transaction");
        Assert.Equal(attempt.SpanId, transaction.ParentSpanId);
        Assert.Equal(ActivityKind.Client, transaction.Kind);
        Assert.DoesNotContain(telemetry.Spans, a => a.OperationName == "tls");
        var duration = Assert.Single(telemetry.Measurements("modernmail.delivery.attempt.duration"));
        Assert.Equal("delivered", duration.Tags["outcome"]);
        Assert.Equal("other", duration.Tags["provider"]);
        Assert.InRange(duration.Value, 0, 30);
        Assert.Single(telemetry.Measurements("modernmail.dkim.sign.duration"));
    }

    [Fact]
    public async Task MailBroker_NoMailExchangerAnswers_AttemptSpanFails()
    {
        using var telemetry = new TelemetryRecorder();
        int closed = ClosedPort();
        var config = new BrokerConfig { HostName = "client.test" };
        config.Routes["*"] = $"127.0.0.1:{closed}";
        using var message = new MailMessage("sender@sender.test", "a1@a.test", "Metrics", "Hello");

        await using (var broker = new MailBroker(config))
        {
            Assert.False(Assert.Single(await broker.SendAsync(message, Ct)).Delivered);
        }

        var attempt = Assert.Single(telemetry.Spans, a => a.OperationName == "attempt");
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        Assert.Equal("failed", Assert.Single(telemetry.Measurements("modernmail.delivery.attempt.duration")).Tags["outcome"]);
        Assert.Equal(1, telemetry.Sum("modernmail.recipients", ("outcome", "deferred"), ("category", "ConnectionFailed")));
    }

    [Fact]
    public async Task DkimSigner_SignAll_RecordsOneDurationAndASignSpanNamingTheDomain()
    {
        using var telemetry = new TelemetryRecorder();
        using var signer = new DkimSigner(DkimKeyPair.GenerateEd25519().ToConfig("sender.test", "ed"));
        using var message = new MemoryStream("From: a@sender.test\r\nSubject: x\r\n\r\nBody\r\n"u8.ToArray());

        await signer.SignAsync(message, Ct);

        var duration = Assert.Single(telemetry.Measurements("modernmail.dkim.sign.duration"));
        Assert.InRange(duration.Value, 0, 10);
        var sign = Assert.Single(telemetry.Spans, a => a.OperationName == "sign");
        Assert.Equal("sender.test", sign.GetTagItem("modernmail.dkim.domain"));
        Assert.Equal("ed", sign.GetTagItem("modernmail.dkim.selector"));
    }

    [Fact]
    public async Task MxRouter_Resolve_OneSpanPerDomain_FailedForNxDomain_NoneForStaticRoutes()
    {
        using var telemetry = new TelemetryRecorder();
        var dns = new InMemoryDnsLookup();
        dns.AddMx("mail.example", 10, "mx1.mail.example");
        dns.AddMx("mail.example", 20, "mx2.mail.example");
        var router = new MxRouter(dns, [new("routed.example", "127.0.0.1:2525")], 25, new Random(1));

        await router.RouteAsync("mail.example", Ct);
        await router.RouteAsync("missing.example", Ct);
        await router.RouteAsync("routed.example", Ct);

        var spans = telemetry.Spans.Where(a => a.OperationName == "resolve").ToList();
        Assert.Equal(2, spans.Count);
        var found = Assert.Single(spans, a => Equals(a.GetTagItem("dns.question.name"), "mail.example"));
        Assert.Equal(2, found.GetTagItem("modernmail.mx.count"));
        Assert.Equal(ActivityStatusCode.Unset, found.Status);
        var missing = Assert.Single(spans, a => Equals(a.GetTagItem("dns.question.name"), "missing.example"));
        Assert.Equal(ActivityStatusCode.Error, missing.Status);
    }

    [Fact]
    public async Task DnsLookup_ServerUnreachable_RecordsDurationWithTypeAndFailureOutcome()
    {
        using var telemetry = new TelemetryRecorder();
        var dns = new DnsClientLookup([$"127.0.0.1:{ClosedPort()}"], TimeSpan.FromMilliseconds(300), retries: 0);

        var result = await dns.QueryMxAsync("metrics.example", Ct);

        Assert.NotEqual(DnsOutcome.Found, result.Outcome);
        var lookup = Assert.Single(telemetry.Measurements("modernmail.dns.lookup.duration"));
        Assert.Equal("MX", lookup.Tags["type"]);
        Assert.Equal(DnsClientLookup.OutcomeName(result.Outcome), lookup.Tags["outcome"]);
        Assert.Contains(lookup.Tags["outcome"], new object[] { "timeout", "server_failure" });
    }

    [Fact]
    public async Task QueueDepthGauge_CountsPendingByState_AndAsksTheStoreAtMostOncePerInterval()
    {
        using var telemetry = new TelemetryRecorder();
        await using var bed = new QueueTestBed();
        await bed.EnqueueAsync("sender@sender.test", "a@a.test", "b@b.test");

        using (var registration = QueueDepthGauge.Register(bed.Queue.Store, bed.Time))
        {
            await registration.Source.Refresh;
            telemetry.Observe();
            Assert.Equal(2, telemetry.Last("modernmail.queue.recipients", ("state", "queued")));
            Assert.Equal(0, telemetry.Last("modernmail.queue.recipients", ("state", "deferred")));

            await bed.EnqueueAsync("sender@sender.test", "c@c.test");
            telemetry.Observe();
            telemetry.Observe();
            // Within the interval: the last counts, and no query.
            Assert.Equal(2, telemetry.Last("modernmail.queue.recipients", ("state", "queued")));
            Assert.Equal(1, registration.Source.Queries);

            bed.Time.Advance(QueueDepthGauge.RefreshInterval);
            telemetry.Observe();
            await registration.Source.Refresh;
            telemetry.Observe();
            Assert.Equal(3, telemetry.Last("modernmail.queue.recipients", ("state", "queued")));
            Assert.Equal(2, registration.Source.Queries);
        }

        int before = telemetry.Measurements("modernmail.queue.recipients").Count();
        telemetry.Observe();
        Assert.Equal(before, telemetry.Measurements("modernmail.queue.recipients").Count()); // unregistered: nothing reported
    }

    [Theory]
    [InlineData("gmail-smtp-in.l.google.com", "example.com", "google")]
    [InlineData("aspmx.l.google.com.", "company.example", "google")]
    [InlineData(null, "googlemail.com", "google")]
    [InlineData("example-com.mail.protection.outlook.com", "example.com", "outlook")]
    [InlineData(null, "hotmail.co.uk", "outlook")]
    [InlineData(null, "live.com", "outlook")]
    [InlineData("mta7.am0.yahoodns.net", "aol.com", "yahoo")]
    [InlineData(null, "yahoo.co.jp", "yahoo")]
    [InlineData("mx01.mail.icloud.com", "me.com", "icloud")]
    [InlineData(null, "mac.com", "icloud")]
    [InlineData("notgoogle.com", "hotmailer.com", "other")]
    [InlineData("127.0.0.1", "a.test", "other")]
    [InlineData(null, "", "other")]
    public void ProviderRollup_KnownMxHostsAndDomains_RollUp_AndEverythingElseIsOther(string? mx, string domain, string expected)
    {
        Assert.Equal(expected, ProviderRollup.Of(mx, domain));
    }

    [Fact]
    public void Instruments_FollowOpenTelemetryNaming_WithUnits()
    {
        Assert.Equal("ModernMail", MailTelemetry.Meter.Name);
        Assert.Equal("ModernMail", MailTelemetry.Source.Name);
        Assert.False(string.IsNullOrEmpty(MailTelemetry.Meter.Version));
        Assert.Equal("s", MailTelemetry.AttemptDuration.Unit);
        Assert.Equal("s", MailTelemetry.DeliveryLatency.Unit);
        Assert.Equal("s", MailTelemetry.DkimSignDuration.Unit);
        Assert.Equal("s", MailTelemetry.DnsLookupDuration.Unit);
        Assert.Equal("{recipient}", MailTelemetry.Recipients.Unit);
        Assert.Equal("{message}", MailTelemetry.MessagesSubmitted.Unit);
    }

    [Fact]
    public async Task ShapedTransport_ReportsConnectionsPerDestinationRule_AndSessionsByTlsProtocol()
    {
        using var telemetry = new TelemetryRecorder();
        await using var mx = new ModernMail.Tests.Delivery.Shaping.CountingMx();
        var config = new BrokerConfig { HostName = "client.test", MaxParallelDomains = 1 };
        config.Routes["*"] = $"127.0.0.1:{mx.Port}";
        config.Shaping.Rules.Add(new ModernMail.Delivery.Shaping.ShapingRule { Name = "partner", Domains = ["partner.test"], MaxConnections = 2 });
        await using (var transport = new ModernMail.Delivery.SmtpTransport(config))
        {
            var envelope = new ModernMail.Delivery.Envelope(new MailAddress("s@sender.test"), [new MailAddress("r@partner.test")]);
            var result = Assert.Single(await transport.DeliverAsync(envelope, new MemoryStream("Subject: x\r\n\r\nx\r\n"u8.ToArray()), Ct));
            Assert.True(result.Delivered, result.Detail);

            // The session waits in the pool: one open connection for the rule, nothing waiting; no per-domain or MX label.
            telemetry.Observe();
            Assert.Equal(1, telemetry.Last("modernmail.destination.connections", ("destination", "partner")));
            Assert.Equal(0, telemetry.Last("modernmail.destination.waiting", ("destination", "partner")));
            Assert.Equal(1, telemetry.Sum("modernmail.smtp.sessions", ("tls.protocol", "none"), ("provider", "other")));
        }
        Assert.Equal("default", DestinationGauge.LabelOf("default:mx1.a.test,mx2.a.test"));
        Assert.Equal("google", DestinationGauge.LabelOf("google@192.0.2.10"));
    }

    private static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Listens to the "ModernMail" meter and activity source for the life of one test.</summary>
    private sealed class TelemetryRecorder : IDisposable
    {
        private readonly MeterListener _meters = new();
        private readonly ActivityListener _spans;
        private readonly ConcurrentQueue<Measurement> _measurements = new();
        private readonly ConcurrentQueue<Activity> _stopped = new();

        public TelemetryRecorder()
        {
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MailTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue(new Measurement(instrument.Name, value, ToDictionary(tags))));
            _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue(new Measurement(instrument.Name, value, ToDictionary(tags))));
            _meters.Start();
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == MailTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_spans);
        }

        public IReadOnlyList<Measurement> All => [.. _measurements];

        public IReadOnlyList<Activity> Spans => [.. _stopped];

        public IEnumerable<Measurement> Measurements(string instrument) => _measurements.Where(m => m.Instrument == instrument);

        public double Sum(string instrument, params (string Key, string Value)[] tags) =>
            Matching(instrument, tags).Sum(m => m.Value);

        public double Last(string instrument, params (string Key, string Value)[] tags) =>
            Matching(instrument, tags).Last().Value;

        /// <summary>Asks the observable instruments (the queue depth gauge) for their values, as a scrape does.</summary>
        public void Observe() => _meters.RecordObservableInstruments();

        private IEnumerable<Measurement> Matching(string instrument, (string Key, string Value)[] tags) =>
            Measurements(instrument).Where(m => tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)));

        public void Dispose()
        {
            _meters.Dispose();
            _spans.Dispose();
        }

        private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in tags)
            {
                dictionary[key] = value;
            }
            return dictionary;
        }
    }

    private sealed record Measurement(string Instrument, double Value, Dictionary<string, object?> Tags);
}
