using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using AngleSharp.Dom;
using ModernMail.IntegrationTests.World;
using ModernMail.Tests.Delivery;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>The status page of a real <c>mailbroker serve</c> (ports 32000-32499), looked at in headless Chromium as an operator
/// would: mail for slow.test waits (its MX refuses connections), a.test is delivered or bounced by the world's Postfix, and
/// hostile.test's MX (a scripted server) answers a 550 full of markup.</summary>
public sealed class ServerStatusPageTests : IAsyncLifetime
{
    private const string HostileReply = "550 5.1.1 <script>alert(1)</script><img src=x onerror=alert(2)> \"q\" & 'a'";
    private const string HostileRecipient = "\"<img src=x onerror=alert(3)>\"@hostile.test";
    private const int Waiting = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-status-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptedSmtpServer _hostileMx = new();

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _hostileMx.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task StatusPage_InChromium_ShowsWaitingMail_TheBounceWithItsReply_AndEachAttempt()
    {
        _hostileMx.Then(ScriptedSmtpServer.Hello() + "C: MAIL FROM\nS: 250 2.1.0 ok\nC: RCPT TO\nS: " + HostileReply + "\n");
        await using var server = await StartAsync(["--route", "slow.test=127.0.0.1:9", "--route", $"hostile.test=127.0.0.1:{_hostileMx.Port}"]);
        using var client = server.Client(await server.CreateKeyAsync("ops"));
        string rejected = TestWorld.Unique("reject");
        var slow = new List<string>();
        for (int i = 0; i < Waiting; i++)
        {
            slow.Add(await SendAsync(client, $"wait{i}-{Guid.NewGuid():N}@slow.test"));
        }
        string deliveredTo = TestWorld.Unique("status");
        string delivered = await SendAsync(client, deliveredTo);
        string bounced = await SendAsync(client, rejected);
        string hostile = await SendAsync(client, HostileRecipient);
        (await ApiAssertions.WaitForStateAsync(client, delivered, "delivered")).Dispose();
        (await ApiAssertions.WaitForStateAsync(client, bounced, "bounced")).Dispose();
        (await ApiAssertions.WaitForStateAsync(client, hostile, "bounced")).Dispose();
        foreach (string id in slow)
        {
            (await ApiAssertions.WaitForStateAsync(client, id, "deferred")).Dispose();
        }

        // The depth comes from the metrics gauge (refreshed at most every 5 s): look again until it has caught up.
        IDocument page = await LoadUntilAsync(new Uri(server.BaseAddress, "/"), d => Depth(d) == Waiting);
        Assert.Equal(Waiting, Depth(page));
        Assert.Equal("api", page.DocumentElement.GetAttribute("data-depth-source")); // status.js ran under the CSP and fetched /v1/status/depth
        Assert.NotNull(page.QuerySelector("#depth-chart polyline.deferred[points]"));
        Assert.Equal("2", Text(page, "#outcome-bounced"));
        Assert.True(int.Parse(Text(page, "#outcome-delivered"), System.Globalization.CultureInfo.InvariantCulture) >= 1, page.Body!.OuterHtml);

        // Destinations: slow.test holds the waiting mail with its connection error; nothing is pending for a.test.
        var row = page.QuerySelector("#destinations tr[data-domain='slow.test']");
        Assert.NotNull(row);
        Assert.Equal("other", row.Children[1].TextContent);
        Assert.Equal(Waiting, Count(row, "td.queued") + Count(row, "td.delivering") + Count(row, "td.deferred"));
        Assert.True(Count(row, "td.deferrals") >= Waiting, row.OuterHtml);
        Assert.Contains("Connection refused", row.QuerySelector("td.reply")!.TextContent, StringComparison.Ordinal);
        Assert.Null(page.QuerySelector($"#destinations tr[data-domain='{TestWorld.DomainA}']"));

        // Last events filtered to bounces (the waiting mail's deferrals fill the unfiltered list): only bounces, the one from
        // Postfix with its reply, and the hostile reply and address as text, not markup.
        IDocument bounces = await HeadlessChromium.LoadAsync(new Uri(server.BaseAddress, "/?type=bounced"), Ct);
        Assert.Equal(2, bounces.QuerySelectorAll("#events tbody tr").Length);
        Assert.All(bounces.QuerySelectorAll("#events td.type"), t => Assert.Equal("bounced", t.TextContent));
        var bounce = bounces.QuerySelectorAll("#events tr.bounced").Single(r => r.QuerySelector("td.recipient")!.TextContent == rejected);
        Assert.StartsWith("550 5.1.1", bounce.QuerySelector("td.reply")!.TextContent, StringComparison.Ordinal);
        var hostileRow = bounces.QuerySelectorAll("#events tr.bounced").Single(r => r.QuerySelector("td.recipient")!.TextContent == HostileRecipient);
        // The receiver's reply as it sent it (the queue adds the MX that answered), as text.
        Assert.Equal(HostileReply + " (127.0.0.1)", hostileRow.QuerySelector("td.reply")!.TextContent);
        Assert.Empty(bounces.QuerySelectorAll("#events img, #events script"));
        Assert.Equal(["/status/status.js"], bounces.QuerySelectorAll("script").Select(s => s.GetAttribute("src")));

        // And to deliveries: the delivered recipient with Postfix's 250.
        IDocument deliveries = await HeadlessChromium.LoadAsync(new Uri(server.BaseAddress, "/?type=delivered"), Ct);
        var delivery = deliveries.QuerySelectorAll("#events tr.delivered").Single(r => r.QuerySelector("td.recipient")!.TextContent == deliveredTo);
        Assert.StartsWith("250 ", delivery.QuerySelector("td.reply")!.TextContent, StringComparison.Ordinal);

        // Search by recipient: the message, its recipient bounced after one attempt, with MX and reply.
        IDocument found = await HeadlessChromium.LoadAsync(new Uri(server.BaseAddress, "/?q=" + Uri.EscapeDataString(rejected)), Ct);
        var recipient = found.QuerySelector($"#search-results article[data-id='{bounced}'] .recipient");
        Assert.NotNull(recipient);
        Assert.Equal("bounced", recipient.QuerySelector("h4 .status")!.TextContent);
        var attempt = Assert.Single(recipient.QuerySelectorAll("tr.attempt"));
        Assert.Equal("bounced", attempt.QuerySelector("td.status")!.TextContent);
        Assert.StartsWith("550 5.1.1", attempt.QuerySelector("td.reply")!.TextContent, StringComparison.Ordinal);

        // Search by message id: a waiting message shows every attempt so far, each deferred by the refused connection.
        IDocument waiting = await HeadlessChromium.LoadAsync(new Uri(server.BaseAddress, "/?q=" + slow[0]), Ct);
        var attempts = waiting.QuerySelectorAll($"#search-results article[data-id='{slow[0]}'] tr.attempt");
        Assert.NotEmpty(attempts);
        Assert.All(attempts, a => Assert.Equal("deferred", a.QuerySelector("td.status")!.TextContent));

        string screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "status-page.png");
        // The bounces and the search for the bounced recipient, what an operator looking into a bounce would have on screen.
        await HeadlessChromium.ScreenshotAsync(new Uri(server.BaseAddress, "/?type=bounced&q=" + Uri.EscapeDataString(rejected)), screenshot, Ct);
        byte[] png = await File.ReadAllBytesAsync(screenshot, Ct);
        Assert.True(png.Length > 10_000 && png.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]), $"{screenshot} is not a PNG of the page ({png.Length} bytes)");
    }

    [Fact]
    public async Task StatusPage_IsServedWithAStrictCsp_EscapesHostileValues_AndItsJsonUsesTheSameNumbers()
    {
        _hostileMx.Then(ScriptedSmtpServer.Hello() + "C: MAIL FROM\nS: 250 2.1.0 ok\nC: RCPT TO\nS: " + HostileReply + "\n");
        await using var server = await StartAsync(["--route", $"hostile.test=127.0.0.1:{_hostileMx.Port}"]);
        using var client = server.Client(await server.CreateKeyAsync("ops"));
        string hostile = await SendAsync(client, HostileRecipient);
        (await ApiAssertions.WaitForStateAsync(client, hostile, "bounced")).Dispose();

        using var anonymous = server.Client();
        using var response = await anonymous.GetAsync("/?q=" + Uri.EscapeDataString(HostileRecipient), Ct);
        string html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        // Parsed as a browser would: one script, from this server; no event handler or style attribute, no inline style; nothing from another origin.
        using var dom = await new AngleSharp.Html.Parser.HtmlParser().ParseDocumentAsync(html, Ct);
        Assert.Equal(["/status/status.js"], dom.QuerySelectorAll("script").Select(e => e.GetAttribute("src")));
        Assert.DoesNotContain(dom.All.SelectMany(e => e.Attributes), a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || a.Name == "style");
        Assert.Empty(dom.QuerySelectorAll("style, img, iframe, object"));
        Assert.DoesNotContain("//", html, StringComparison.Ordinal);
        // The reply and the address appear escaped (in the events, the search box and the search result), never as markup.
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HostileRecipient, dom.QuerySelector("#search input[name=q]")!.GetAttribute("value"));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(3)&gt;", html, StringComparison.Ordinal);

        using var script = await anonymous.GetAsync("/status/status.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("innerHTML", await script.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // The JSON the page is built from: the same bounce, the reply as a plain string.
        using var events = JsonDocument.Parse(await anonymous.GetStringAsync("/v1/status/events?type=bounced", Ct));
        var bounce = events.RootElement.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("messageId").GetString() == hostile);
        Assert.Equal(HostileReply + " (127.0.0.1)", bounce.GetProperty("reply").GetString());
        using var search = JsonDocument.Parse(await anonymous.GetStringAsync("/v1/status/search?q=" + hostile, Ct));
        var history = search.RootElement.GetProperty("messages")[0].GetProperty("recipients")[0].GetProperty("history");
        Assert.Equal(HostileReply + " (127.0.0.1)", Assert.Single(history.EnumerateArray()).GetProperty("reply").GetString());
        using var outcomes = JsonDocument.Parse(await anonymous.GetStringAsync("/v1/status/outcomes", Ct));
        Assert.Equal(1, outcomes.RootElement.GetProperty("outcomes").EnumerateArray().Single(o => o.GetProperty("type").GetString() == "bounced").GetProperty("count").GetInt32());
        using var depth = JsonDocument.Parse(await anonymous.GetStringAsync("/v1/status/depth", Ct));
        Assert.Equal(30, depth.RootElement.GetProperty("intervalSeconds").GetInt32());
        Assert.True(depth.RootElement.GetProperty("samples").GetArrayLength() >= 1, depth.RootElement.ToString());
    }

    [Fact]
    public async Task StatusPage_ThroughAProxyOrUnderAForeignHostName_NeedsAKeyWithoutDomainList_AndABrowserIsToldToTunnel()
    {
        await using var server = await StartAsync([]);
        string ops = await server.CreateKeyAsync("ops");
        string limited = await server.CreateKeyAsync("shop", TestWorld.SenderDomain);

        // A proxy on the same host connects from loopback, but names the real client: no free pass.
        using var proxied = server.Client();
        proxied.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        await AssertRefusedPageAsync(await proxied.GetAsync("/", Ct), 401);
        await ApiAssertions.AssertProblemAsync(await proxied.GetAsync("/v1/status/depth", Ct), 401, "Authorization");
        await ApiAssertions.AssertProblemAsync(await proxied.GetAsync("/metrics", Ct), 401, "Authorization");

        // DNS rebinding: a web page whose name now points at 127.0.0.1 reaches the loopback listener under its own host name.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/v1/status/events");
        rebound.Headers.Host = $"rebind.example:{server.Port}";
        using var anonymous = server.Client();
        await ApiAssertions.AssertProblemAsync(await anonymous.SendAsync(rebound, Ct), 401, "Authorization");
        using var localhost = new HttpRequestMessage(HttpMethod.Get, "/v1/status/events");
        localhost.Headers.Host = $"localhost:{server.Port}";
        using (var local = await anonymous.SendAsync(localhost, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        }

        using var shop = server.Client(limited);
        shop.DefaultRequestHeaders.Add("Forwarded", "for=198.51.100.7");
        await AssertRefusedPageAsync(await shop.GetAsync("/", Ct), 403);
        await ApiAssertions.AssertProblemAsync(await shop.GetAsync("/v1/status/events", Ct), 403, "Authorization");

        using var operatorClient = server.Client(ops);
        operatorClient.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        using var page = await operatorClient.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<h1>mailbroker status</h1>", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var destinations = await operatorClient.GetAsync("/v1/status/destinations", Ct);
        Assert.Equal(HttpStatusCode.OK, destinations.StatusCode);
    }

    [Fact]
    public async Task StatusPage_OnANonLoopbackListener_IsRefusedWithoutAKey()
    {
        IPAddress address = NonLoopbackAddress();
        await using var server = await StartAsync([], address);
        string ops = await server.CreateKeyAsync("ops");
        using var remote = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://{address}:{server.Port}") };

        await AssertRefusedPageAsync(await remote.GetAsync("/", Ct), 401);
        await ApiAssertions.AssertProblemAsync(await remote.GetAsync("/v1/status/search?q=x@a.test", Ct), 401, "Authorization");
        remote.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ops);
        using var page = await remote.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    private static async Task AssertRefusedPageAsync(HttpResponseMessage response, int status)
    {
        using (response)
        {
            string html = await response.Content.ReadAsStringAsync(Ct);
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {html}");
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("ssh -L 8025:127.0.0.1:8025", html, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"events\"", html, StringComparison.Ordinal);
            Assert.Contains("default-src 'none'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
            if (status == 401)
            {
                Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }
        }
    }

    private async Task<ServeProcess> StartAsync(string[] args, IPAddress? address = null) =>
        await ServeProcess.StartAsync(_directory, args, port: ServeProcess.FreePort(32000, 500), httpAddress: address?.ToString() ?? "127.0.0.1");

    private static IPAddress NonLoopbackAddress()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(unicast.Address))
                {
                    return unicast.Address;
                }
            }
        }
        Assert.Fail("This test needs a non-loopback IPv4 address on the machine (a network interface that is up) to listen on.");
        return IPAddress.None;
    }

    private static async Task<string> SendAsync(HttpClient client, string rcpt)
    {
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "status", text = "x" }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<IDocument> LoadUntilAsync(Uri url, Func<IDocument, bool> ready)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            IDocument page = await HeadlessChromium.LoadAsync(url, Ct);
            if (ready(page) || started.Elapsed > TimeSpan.FromSeconds(30))
            {
                return page;
            }
            await Task.Delay(1000, Ct);
        }
    }

    private static int Depth(IDocument page) => Count(page, "#depth-queued") + Count(page, "#depth-delivering") + Count(page, "#depth-deferred");

    private static int Count(IParentNode node, string selector) =>
        int.Parse(node.QuerySelector(selector)?.TextContent ?? "-1000", System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(IDocument page, string selector) => page.QuerySelector(selector)?.TextContent ?? $"(no {selector})";
}
