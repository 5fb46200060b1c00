using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ModernMail.IntegrationTests.Cli;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>The HTTP API of a real <c>mailbroker serve</c> process, driven with HttpClient; delivery checked in Postfix's Maildirs.</summary>
public sealed class ServerHttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => fixture.Server;

    [Fact]
    public async Task Post_Structured_Returns202_AndArrivesDkimSigned()
    {
        string rcpt = TestWorld.Unique("http");
        using var client = Server.Client(fixture.Secret);

        using var response = await client.PostAsJsonAsync("/v1/messages", new
        {
            from = "Ops <ops@sender.test>",
            to = new[] { rcpt },
            subject = "Hello over HTTP",
            text = "plain body",
            html = "<p>html body</p>",
            headers = new Dictionary<string, string> { ["X-Campaign"] = "c-42" },
            attachments = new[] { new { filename = "note.txt", contentType = "text/plain", content = Convert.ToBase64String("attached"u8.ToArray()) } },
        }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        string id = body.RootElement.GetProperty("id").GetString()!;
        var recipient = Assert.Single(body.RootElement.GetProperty("recipients").EnumerateArray());
        Assert.Equal(rcpt, recipient.GetProperty("email").GetString());
        Assert.Equal("queued", recipient.GetProperty("status").GetString());

        string file = Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct));
        string delivered = File.ReadAllText(file);
        Assert.Contains("Subject: Hello over HTTP", delivered, StringComparison.Ordinal);
        Assert.Contains("X-Campaign: c-42", delivered, StringComparison.Ordinal);
        Assert.Contains("note.txt", delivered, StringComparison.Ordinal);
        // The world's Postfix verifies DKIM against the key published for rsa2048._domainkey.sender.test.
        Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
        Assert.Contains("d=sender.test", delivered, StringComparison.Ordinal);

        using var status = await ApiAssertions.WaitForStateAsync(client, id, "delivered");
        var r = Assert.Single(status.RootElement.GetProperty("recipients").EnumerateArray());
        Assert.Equal(1, r.GetProperty("attempts").GetInt32());
        Assert.StartsWith("250", r.GetProperty("lastReply").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_Raw_Returns202_SignsIt_AndArrivesAsSent()
    {
        string rcpt = TestWorld.Unique("raw");
        using var client = Server.Client(fixture.Secret);
        // Bare LF line endings, as a file written on Unix has them: the server turns them into CRLF.
        byte[] raw = Encoding.ASCII.GetBytes($"From: ops@sender.test\nTo: {rcpt}\nSubject: raw form\nMessage-ID: <raw-{Guid.NewGuid():N}@sender.test>\n\nraw body line\n");

        using var response = await client.PostAsJsonAsync("/v1/messages", new
        {
            envelope = new { from = "bounces@sender.test", to = new[] { rcpt } },
            raw = Convert.ToBase64String(raw),
        }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
        Assert.Contains("Subject: raw form", delivered, StringComparison.Ordinal);
        Assert.Contains("raw body line", delivered, StringComparison.Ordinal);
        Assert.Contains("Return-Path: <bounces@sender.test>", delivered, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdempotentRetry_SameId_OneDelivery_DifferentBodyIs409()
    {
        string rcpt = TestWorld.Unique("idem");
        using var client = Server.Client(fixture.Secret);
        string key = Guid.NewGuid().ToString("N");
        string json = JsonSerializer.Serialize(new { from = "ops@sender.test", to = new[] { rcpt }, subject = "once", text = "only once" });

        string first = await PostIdempotentAsync(client, key, json, HttpStatusCode.Accepted);
        string second = await PostIdempotentAsync(client, key, json, HttpStatusCode.Accepted);
        string conflict = await PostIdempotentAsync(client, key, json.Replace("only once", "changed", StringComparison.Ordinal), HttpStatusCode.Conflict);

        Assert.Equal(first, second);
        Assert.Contains("Idempotency-Key", conflict, StringComparison.Ordinal);
        await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // a second copy, if one had been queued, would arrive within this
        Assert.Single(TestWorld.GetMessages(rcpt));

        // The same idempotency key under another API key is another request.
        string other = await Server.CreateKeyAsync("idem-other-" + key[..6], TestWorld.SenderDomain);
        using var otherClient = Server.Client(other);
        string third = await PostIdempotentAsync(otherClient, key, json, HttpStatusCode.Accepted);
        Assert.NotEqual(Id(first), Id(third));
    }

    [Fact]
    public async Task NoKey_BadKey_RevokedKey_Are401()
    {
        var message = new { from = "ops@sender.test", to = new[] { TestWorld.Unique("auth") }, text = "x" };
        using var anonymous = Server.Client();
        using var wrong = Server.Client("mm_" + new string('A', 43));
        await ApiAssertions.AssertProblemAsync(await anonymous.PostAsJsonAsync("/v1/messages", message, Ct), 401, "Authorization");
        using var response = await wrong.PostAsJsonAsync("/v1/messages", message, Ct);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await ApiAssertions.AssertProblemAsync(response, 401, "Authorization");

        string name = "revoke-" + Guid.NewGuid().ToString("N")[..8];
        string secret = await Server.CreateKeyAsync(name, TestWorld.SenderDomain);
        using var client = Server.Client(secret);
        using (var ok = await client.GetAsync("/v1/messages?limit=1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        CliResult revoke = await CliProcess.RunAsync("keys", "revoke", name, "--data", Server.DataDirectory);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        await ApiAssertions.AssertProblemAsync(await client.PostAsJsonAsync("/v1/messages", message, Ct), 401, "Authorization");

        CliResult list = await CliProcess.RunAsync("keys", "list", "--data", Server.DataDirectory);
        Assert.Contains(list.StdoutLines, l => l.Contains(name, StringComparison.Ordinal) && l.Contains("revoked", StringComparison.Ordinal));
        Assert.DoesNotContain(secret, list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForeignSenderDomain_Is403_InBothForms()
    {
        string rcpt = TestWorld.Unique("foreign");
        using var client = Server.Client(fixture.Secret);
        await ApiAssertions.AssertProblemAsync(await client.PostAsJsonAsync("/v1/messages", new { from = "ceo@b.test", to = new[] { rcpt }, text = "x" }, Ct), 403, "from");
        // Raw: an allowed envelope sender does not make a foreign header From acceptable.
        string raw = Convert.ToBase64String(Encoding.ASCII.GetBytes($"From: ceo@b.test\r\nTo: {rcpt}\r\n\r\nx\r\n"));
        await ApiAssertions.AssertProblemAsync(await client.PostAsJsonAsync("/v1/messages", new { envelope = new { from = "ops@sender.test", to = new[] { rcpt } }, raw }, Ct), 403, "raw");
        await Task.Delay(1000, Ct);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task MalformedJson_Is400_NamingThePosition()
    {
        using var client = Server.Client(fixture.Secret);
        using var content = new StringContent("{\"from\": \"ops@sender.test\",\n \"to\": [\"a@a.test\",]}", Encoding.UTF8, "application/json");
        string detail = await ApiAssertions.AssertProblemAsync(await client.PostAsync("/v1/messages", content, Ct), 400, "to[1]");
        Assert.Contains("line 2", detail, StringComparison.Ordinal);

        using var wrongType = new StringContent("{\"from\": \"ops@sender.test\", \"to\": \"a@a.test\"}", Encoding.UTF8, "application/json");
        await ApiAssertions.AssertProblemAsync(await client.PostAsync("/v1/messages", wrongType, Ct), 400, "to");
    }

    [Fact]
    public async Task OverTheBodyLimit_Is413_AndTheServerGoesOn()
    {
        using var client = Server.Client(fixture.Secret);
        string big = Convert.ToBase64String(new byte[ServerFixture.BodyLimit]);
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { "big@a.test" }, text = big }, Ct);
        await ApiAssertions.AssertProblemAsync(response, 413, null);

        using var health = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[\"a\\r\\nRCPT TO:<x@b.test>@a.test\"],\"text\":\"x\"}", "to[0]")]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[\"a@a.test\"],\"cc\":[\"ok@a.test\",\"b\\n@a.test\"],\"text\":\"x\"}", "cc[1]")]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[\"a@a.test\"],\"headers\":{\"X-Evil\":\"v\\r\\nBcc: x@b.test\"}}", "headers.X-Evil")]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[\"a@a.test\"],\"attachments\":[{\"filename\":\"a\\r\\nb\",\"content\":\"aGk=\"}]}", "attachments[0].filename")]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[\"a@a.test\"],\"attachments\":[{\"content\":\"not base64!\"}]}", "attachments[0].content")]
    [InlineData("{\"from\":\"ops@sender.test\",\"to\":[]}", "to")]
    [InlineData("{\"envelope\":{\"from\":\"ops@sender.test\",\"to\":[\"a@a.test\"]},\"raw\":\"VG86IGFAYS50ZXN0DQoNCng=\"}", "raw")]
    public async Task InvalidContent_Is422_NamingTheField(string json, string field)
    {
        using var client = Server.Client(fixture.Secret);
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        await ApiAssertions.AssertProblemAsync(await client.PostAsync("/v1/messages", content, Ct), 422, field);
    }

    [Fact]
    public async Task Batch_QueuesEachMessageOnItsOwn_InOrder()
    {
        string rcpt1 = TestWorld.Unique("batch1");
        string rcpt2 = TestWorld.Unique("batch2");
        using var client = Server.Client(fixture.Secret);

        using var response = await client.PostAsJsonAsync("/v1/messages/batch", new
        {
            messages = new object[]
            {
                new { from = "ops@sender.test", to = new[] { rcpt1 }, subject = "b1", text = "one" },
                new { from = "ops@sender.test", to = new[] { "bad\r\n@a.test" }, text = "refused" },
                new { from = "ops@b.test", to = new[] { rcpt2 }, text = "foreign" },
                new { from = "ops@sender.test", to = new[] { rcpt2 }, subject = "b2", text = "two" },
            },
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var results = body.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(4, results.Count);
        Assert.True(results[0].TryGetProperty("id", out _));
        Assert.Equal(422, results[1].GetProperty("status").GetInt32());
        Assert.Equal("messages[1].to[0]", results[1].GetProperty("field").GetString());
        Assert.Equal(403, results[2].GetProperty("status").GetInt32());
        Assert.True(results[3].TryGetProperty("id", out _));
        await TestWorld.WaitForMessagesAsync(rcpt1, cancellationToken: Ct);
        await TestWorld.WaitForMessagesAsync(rcpt2, cancellationToken: Ct);
        Assert.Single(TestWorld.GetMessages(rcpt2));

        var tooMany = new { messages = Enumerable.Range(0, 501).Select(_ => new { from = "ops@sender.test", to = new[] { "x@a.test" } }).ToArray() };
        await ApiAssertions.AssertProblemAsync(await client.PostAsJsonAsync("/v1/messages/batch", tooMany, Ct), 422, "messages");
    }

    [Fact]
    public async Task List_FiltersByStatusAndRecipient_WithCursor()
    {
        string rcpt = TestWorld.Unique("list");
        using var client = Server.Client(fixture.Secret);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = $"list {i}", text = "x" }, Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add(Id(await response.Content.ReadAsStringAsync(Ct)));
        }
        await TestWorld.WaitForMessagesAsync(rcpt, 3, cancellationToken: Ct);
        foreach (string id in ids)
        {
            (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            string url = $"/v1/messages?status=delivered&recipient={Uri.EscapeDataString(rcpt)}&limit=2" + (cursor is null ? "" : "&cursor=" + cursor);
            using var page = JsonDocument.Parse(await client.GetStringAsync(url, Ct));
            seen.AddRange(page.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()!));
            cursor = page.RootElement.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(ids, seen);

        using var bad = await client.GetAsync("/v1/messages?status=lost", Ct);
        await ApiAssertions.AssertProblemAsync(bad, 400, "status");
    }

    [Fact]
    public async Task Health_Ready_OpenApi_AndUnknownPaths()
    {
        using var client = Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Ct)).StatusCode);
        using var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var paths = openApi.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/messages", out _));
        Assert.True(paths.TryGetProperty("/v1/messages/batch", out _));
        Assert.True(paths.TryGetProperty("/v1/messages/{id}", out _));
        await ApiAssertions.AssertProblemAsync(await client.GetAsync("/v2/nothing", Ct), 404, null);
    }

    [Fact]
    public async Task SlowHeaders_AreCutOff_WhileOtherClientsAreServed()
    {
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, Server.Port, Ct);
        var stream = slow.GetStream();
        await stream.WriteAsync("POST /v1/messages HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), Ct);
        var started = System.Diagnostics.Stopwatch.StartNew();

        using var client = Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);

        // Trickle a header byte a second; Kestrel's RequestHeadersTimeout (2 s here) ends the connection anyway.
        byte[] buffer = new byte[1024];
        bool closed = false;
        while (started.Elapsed < TimeSpan.FromSeconds(20) && !closed)
        {
            try
            {
                await stream.WriteAsync("X"u8.ToArray(), Ct);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                int n = await stream.ReadAsync(buffer, wait.Token);
                closed = n == 0 || Encoding.ASCII.GetString(buffer, 0, n).Contains("408", StringComparison.Ordinal);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
                closed = true;
            }
        }
        Assert.True(closed, "the slow connection was still open after 20 s");
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
    }

    private async Task<string> PostIdempotentAsync(HttpClient client, string key, string json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request, Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body}\n{Server.Stderr}");
        return body;
    }

    private static string Id(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("id").GetString()!;
    }
}
