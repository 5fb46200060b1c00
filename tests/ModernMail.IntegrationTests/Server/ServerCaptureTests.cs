using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Capture mode on a real <c>mailbroker serve --capture</c>: the API takes, signs and records a message as in production,
/// nothing reaches Postfix, and the capture pages (checked in headless Chromium) show it with its DKIM verdict, parts,
/// attachment and the SMTP it would have sent; the HTML part is served sandboxed.</summary>
public sealed class ServerCaptureTests : IAsyncLifetime
{
    private ConfiguredServer _world = null!; // Set in InitializeAsync.

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => _world.Server;

    // The world's DNS publishes sender.test's key, so the verdict is what a receiver would find.
    public async ValueTask InitializeAsync() => _world = await ConfiguredServer.StartAsync("capture", new
    {
        Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
    }, ["--capture", "--dns", "127.0.0.1:5300"], cancellationToken: Ct);

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task ACapturedMessage_IsSignedAndRecorded_NeverSent_AndShownWithItsPartsAndVerdict()
    {
        string secret = await Server.CreateKeyAsync("dev", TestWorld.SenderDomain);
        using var client = Server.Client(secret);
        string rcpt = TestWorld.Unique("capture");
        using var response = await client.PostAsJsonAsync("/v1/messages", new
        {
            from = "app@sender.test",
            to = new[] { rcpt },
            subject = "Your receipt",
            text = "Thanks for your order.",
            html = "<p>Thanks for your <b>order</b>.</p><script>document.title='pwned'</script>",
            attachments = new[] { new { filename = "receipt.pdf", contentType = "application/pdf", content = Convert.ToBase64String("%PDF-1.4 test"u8.ToArray()) } },
        }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        using var accepted = JsonDocument.Parse(text);
        string id = accepted.RootElement.GetProperty("id").GetString()!;

        // Recorded as in production (state, event), with the capture reply; nothing reached the world's Postfix.
        using (var status = await ApiAssertions.WaitForStateAsync(client, id, "delivered"))
        {
            Assert.Contains("captured", status.RootElement.GetRawText(), StringComparison.Ordinal);
        }
        Assert.StartsWith("(nothing about", TestWorld.PostfixLogFor(rcpt), StringComparison.Ordinal);

        using var anonymous = Server.Client(); // loopback: the status page's rule
        Assert.Contains("<a href=\"/captured\">Captured messages</a>", await anonymous.GetStringAsync("/", Ct), StringComparison.Ordinal);
        string list = await anonymous.GetStringAsync("/captured", Ct);
        Assert.Contains(rcpt, list, StringComparison.Ordinal);
        Assert.Contains("Your receipt", list, StringComparison.Ordinal);
        var link = System.Text.RegularExpressions.Regex.Match(list, @"href=""/captured/([0-9a-f-]+)""");
        Assert.True(link.Success, list);
        string captured = link.Groups[1].Value;

        using (var page = await anonymous.GetAsync($"/captured/{captured}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("frame-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
        var document = await HeadlessChromium.LoadAsync(new Uri(Server.BaseAddress, $"/captured/{captured}"), Ct);
        Assert.Equal("pass", document.QuerySelector("#dkim li")?.ClassName);
        Assert.Contains("d=sender.test", document.QuerySelector("#dkim li")?.TextContent, StringComparison.Ordinal);
        Assert.Equal("Thanks for your order.", document.QuerySelector("#text")?.TextContent.Trim());
        Assert.Contains("receipt.pdf", document.QuerySelector("#attachments")?.TextContent, StringComparison.Ordinal);
        Assert.Contains($"RCPT TO:<{rcpt}>", document.QuerySelector("#transcript")?.TextContent, StringComparison.Ordinal);
        var frame = document.QuerySelector("iframe#html");
        Assert.NotNull(frame);
        Assert.Equal("", frame.GetAttribute("sandbox")); // no scripts, no origin
        Assert.Contains(document.QuerySelectorAll("#headers th"), th => th.TextContent == "DKIM-Signature");

        // The HTML part itself: served under a sandbox policy that allows no script and no network.
        using var part = await anonymous.GetAsync($"/captured/{captured}/html", Ct);
        Assert.StartsWith("sandbox; default-src 'none'", part.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<b>order</b>", await part.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await HeadlessChromium.ScreenshotAsync(new Uri(Server.BaseAddress, $"/captured/{captured}"), Path.Combine(AppContext.BaseDirectory, "screenshots", "captured-message.png"), Ct);

        // An id that names no captured message is 404 (access itself is the status page's rule, tested there).
        using var missing = await anonymous.GetAsync("/captured/00000000000000000000000000000000", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
