using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Webhooks of a real <c>mailbroker serve</c> delivering to the test world's Postfix, received by a Kestrel receiver
/// that checks signatures: order per message, retries after errors, at least once across a kill -9.</summary>
public sealed class ServerWebhookTests : IAsyncLifetime
{
    private const string Secret = "whsec-test-0123456789abcdef";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-webhooks-" + Guid.NewGuid().ToString("N"));
    private WebhookReceiver _receiver = null!; // Set in InitializeAsync.

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _receiver = await WebhookReceiver.StartAsync(ServeProcess.FreePort(28200, 50), Secret);
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task EveryEvent_IsPostedSigned_InOrderPerMessage_AndRetriedAfterA500()
    {
        _receiver.FailNext = 2;
        await using var server = await StartServerAsync();
        using var client = server.Client(await server.CreateKeyAsync("hooks", TestWorld.SenderDomain));
        string delivered = await SendAsync(client, TestWorld.Unique("hook"));
        string bounced = await SendAsync(client, TestWorld.Unique("reject")); // the world's Postfix answers 550 5.1.1

        var accepted = await _receiver.WaitForAsync(r => Types(r, delivered).SequenceEqual(["queued", "delivered"]) && Types(r, bounced).SequenceEqual(["queued", "bounced"]),
            TimeSpan.FromSeconds(60), Ct);

        Assert.All(_receiver.All, r => Assert.True(r.SignatureValid, $"bad signature {r.Signature} on {r.Body}"));
        Assert.All(accepted, r => Assert.Equal(r.Event.GetProperty("id").GetString(), r.EventIdHeader));
        var bounce = accepted.Single(r => Id(r) == bounced && Type(r) == "bounced").Event;
        Assert.Equal("InvalidRecipient", bounce.GetProperty("category").GetString());
        Assert.Contains("5.1.1", bounce.GetProperty("reply").GetString(), StringComparison.Ordinal);

        // The first two POSTs were answered 500: the same event came again (same id) and was then accepted, before any later event.
        var all = _receiver.All;
        Assert.Equal([500, 500, 200], all.Take(3).Select(r => r.Answered));
        Assert.Single(all.Take(3).Select(r => r.EventIdHeader).Distinct());
        // Each event is accepted once (no duplicates without a failure), in the stream's order.
        Assert.Equal(accepted.Count, accepted.Select(r => r.EventIdHeader).Distinct().Count());

        // A receiver that checks the signature refuses a body changed by one byte, or a request signed with another secret.
        var sample = accepted[0];
        byte[] body = Encoding.UTF8.GetBytes(sample.Body);
        Assert.True(WebhookReceiver.Check(Secret, sample.Signature, body));
        body[^2] ^= 1;
        Assert.False(WebhookReceiver.Check(Secret, sample.Signature, body));
        Assert.False(WebhookReceiver.Check(Secret + "x", sample.Signature, Encoding.UTF8.GetBytes(sample.Body)));
    }

    [Fact]
    public async Task EventsNotYetAccepted_AreDeliveredAfterAKill9AndRestart()
    {
        _receiver.Answer = 503;
        var server = await StartServerAsync();
        string id;
        try
        {
            using var client = server.Client(await server.CreateKeyAsync("hooks", TestWorld.SenderDomain));
            id = await SendAsync(client, TestWorld.Unique("hookkill"));
            (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();
            // The receiver refused the first event at least once, so it is still in the outbox when the server dies.
            await WaitUntilAsync(() => _receiver.All.Count > 0);
            await server.KillAsync();
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.Empty(_receiver.Accepted);

        _receiver.Answer = 200;
        await using var restarted = await StartServerAsync(server.Port);
        // The dead process's claim on the endpoint runs out (30 s) before the new one takes over.
        var accepted = await _receiver.WaitForAsync(r => Types(r, id).SequenceEqual(["queued", "delivered"]), TimeSpan.FromSeconds(90), Ct);
        Assert.All(accepted, r => Assert.True(r.SignatureValid));
        // The operator saw why in the log, without the URL's query (a token there is a credential).
        Assert.Contains("not accepted (HTTP 503)", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-logged", server.Stderr + restarted.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOutboxGauge_CountsEventsAReceiverHasNotTaken_AndEmptiesWhenItDoes()
    {
        _receiver.Answer = 503;
        await using var server = await StartServerAsync();
        using var client = server.Client(await server.CreateKeyAsync("hooks", TestWorld.SenderDomain));
        string id = await SendAsync(client, TestWorld.Unique("outbox"));
        (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();
        using var scraper = server.Client(); // /metrics is open on loopback

        // queued and delivered are both waiting behind the refused first one.
        await WaitUntilAsync(() => Outbox(scraper) >= 2);
        _receiver.Answer = 200;
        await WaitUntilAsync(() => Outbox(scraper) == 0);
        Assert.Contains(_receiver.All, r => r.Answered == 200 && Id(r) == id);
    }

    /// <summary>modernmail_webhook_outbox for the receiver's endpoint (label: its URL without the query), -1 when not reported.</summary>
    private long Outbox(HttpClient scraper)
    {
        string text = scraper.GetStringAsync("/metrics", Ct).GetAwaiter().GetResult();
        string url = _receiver.Url;
        string label = url[..url.IndexOf('?', StringComparison.Ordinal)];
        var match = System.Text.RegularExpressions.Regex.Match(text, "(?m)^modernmail_webhook_outbox\\{[^}]*endpoint=\"" + System.Text.RegularExpressions.Regex.Escape(label) + "\"[^}]*\\} (\\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }

    private async Task<ServeProcess> StartServerAsync(int port = 0)
    {
        string config = Path.Combine(_directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
            Webhooks = new[] { new { Url = _receiver.Url, Secret, MaxRetryDelay = "00:00:02" } },
        }), Ct);
        return await ServeProcess.StartAsync(_directory, ["--config", config], port: port == 0 ? ServeProcess.FreePort(28250, 50) : port);
    }

    private static async Task<string> SendAsync(HttpClient client, string rcpt)
    {
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "webhooks", text = "x" }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), "timed out");
            await Task.Delay(100, Ct);
        }
    }

    private static string? Id(WebhookReceiver.Received r) => r.Event.GetProperty("messageId").GetString();

    private static string? Type(WebhookReceiver.Received r) => r.Event.GetProperty("type").GetString();

    private static List<string?> Types(IReadOnlyList<WebhookReceiver.Received> received, string messageId) =>
        received.Where(r => Id(r) == messageId).Select(Type).ToList();
}
