using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>A real <c>mailbroker serve</c> (on ports of its own, 29500-29999) scraped at GET /metrics after Postfix
/// delivers one message (submitted over SMTP) and bounces another (submitted over HTTP; 550 5.1.1 for reject*@).</summary>
public sealed partial class ServerMetricsTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-metrics-" + Guid.NewGuid().ToString("N"));
    private ServeProcess _server = null!; // Set in InitializeAsync, before the test runs.
    private string _secret = "";

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        string config = Path.Combine(_directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
        }));
        _server = await ServeProcess.StartAsync(_directory, ["--config", config], port: ServeProcess.FreePort(29500, 250), smtpPort: ServeProcess.FreePort(29750, 250));
        _secret = await _server.CreateKeyAsync("metrics", TestWorld.SenderDomain);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Metrics_AfterOneDeliveryAndOneBounce_CountersMoved_InPrometheusText()
    {
        using var client = _server.Client(_secret);
        var before = await ScrapeAsync();

        string delivered = await SubmitOverSmtpAsync(TestWorld.Unique("met"));
        string bounced = await SendAsync(client, TestWorld.Unique("reject"));
        (await ApiAssertions.WaitForStateAsync(client, delivered, "delivered")).Dispose();
        (await ApiAssertions.WaitForStateAsync(client, bounced, "bounced")).Dispose();

        // The exporter caches a scrape briefly: ask until the bounce shows (the outcomes are counted after their commit).
        Scrape after = before;
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(15))
        {
            after = await ScrapeAsync();
            if (after.Sum("modernmail_recipients_total", ("outcome", "bounced")) > before.Sum("modernmail_recipients_total", ("outcome", "bounced")))
            {
                break;
            }
            await Task.Delay(250, Ct);
        }

        string text = after.Text;
        Assert.Equal(1, after.Sum("modernmail_messages_submitted_total", ("door", "api")) - before.Sum("modernmail_messages_submitted_total", ("door", "api")));
        Assert.Equal(1, after.Sum("modernmail_messages_submitted_total", ("door", "smtp")) - before.Sum("modernmail_messages_submitted_total", ("door", "smtp")));
        Assert.True(after.Sum("modernmail_recipients_total", ("outcome", "delivered"), ("provider", "other"), ("category", "None"))
            > before.Sum("modernmail_recipients_total", ("outcome", "delivered"), ("provider", "other"), ("category", "None")), text);
        Assert.Equal(1, after.Sum("modernmail_recipients_total", ("outcome", "bounced"), ("category", "InvalidRecipient"))
            - before.Sum("modernmail_recipients_total", ("outcome", "bounced"), ("category", "InvalidRecipient")));
        Assert.True(after.Sum("modernmail_delivery_attempt_duration_seconds_count") >= 2, text);
        Assert.True(after.Sum("modernmail_delivery_latency_seconds_count") >= 1, text);
        Assert.True(after.Sum("modernmail_dkim_sign_duration_seconds_count") >= 2, text); // both messages signed for sender.test
        Assert.Contains("# TYPE modernmail_recipients_total counter", text, StringComparison.Ordinal);
        Assert.Contains("service_name=\"mailbroker\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE modernmail_delivery_attempt_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE modernmail_queue_recipients gauge", text, StringComparison.Ordinal);
        Assert.Contains("state=\"queued\"", text, StringComparison.Ordinal);
        // Bounded labels: no recipient address or domain anywhere in the scrape.
        Assert.DoesNotContain("@", text, StringComparison.Ordinal);
        Assert.DoesNotContain(TestWorld.DomainA, text, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<string> SendAsync(HttpClient client, string rcpt)
    {
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "metrics", text = "x" }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {text}\n{_server.Stderr}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> SubmitOverSmtpAsync(string rcpt)
    {
        using var smtp = await SmtpClients.ConnectMailKitAsync(_server.SmtpPort, Ct);
        await smtp.AuthenticateAsync("metrics", _secret, Ct);
        string reply = await smtp.SendAsync(SmtpClients.Message("ops@sender.test", rcpt, "metrics over smtp"), Ct);
        await smtp.DisconnectAsync(quit: true, Ct);
        const string Queued = "queued as ";
        int at = reply.IndexOf(Queued, StringComparison.Ordinal);
        Assert.True(at >= 0, reply);
        return reply[(at + Queued.Length)..].Trim();
    }

    /// <summary>GET /metrics without a key: the server listens on loopback, where /metrics is open.</summary>
    private async Task<Scrape> ScrapeAsync()
    {
        using var anonymous = _server.Client();
        using var response = await anonymous.GetAsync("/metrics", Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new Scrape(text);
    }

    /// <summary>Prometheus text exposition: "name{label="value",...} number [timestamp]" per sample.</summary>
    private sealed partial class Scrape(string text)
    {
        public string Text { get; } = text;

        public double Sum(string name, params (string Key, string Value)[] labels)
        {
            double sum = 0;
            foreach (string line in Text.Split('\n'))
            {
                var sample = SampleLine().Match(line);
                if (!sample.Success || sample.Groups["name"].Value != name)
                {
                    continue;
                }
                var found = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (Match label in LabelPair().Matches(sample.Groups["labels"].Value))
                {
                    found[label.Groups[1].Value] = label.Groups[2].Value;
                }
                if (labels.All(l => found.TryGetValue(l.Key, out var v) && v == l.Value))
                {
                    sum += double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
                }
            }
            return sum;
        }

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
        private static partial Regex SampleLine();

        [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
        private static partial Regex LabelPair();
    }
}
