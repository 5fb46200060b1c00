using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>One-click unsubscribe (RFC 8058) on a real <c>mailbroker serve</c>: per-recipient copies with signed List-Unsubscribe
/// fields delivered through the test world's Postfix, then the link used the way a mailbox provider and a link scanner use it.</summary>
public sealed partial class ServerUnsubscribeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => fixture.Server;

    [Fact]
    public async Task EachRecipient_GetsItsOwnSignedLink_AndOnlyAOneClickPostUnsubscribes()
    {
        string alice = TestWorld.Unique("unsub-a");
        string bob = TestWorld.Unique("unsub-b");
        using var client = Server.Client(fixture.Secret);
        using var response = await client.PostAsJsonAsync("/v1/messages",
            new { from = "News <news@sender.test>", to = new[] { alice, bob }, subject = "Weekly news", text = "news", unsubscribe = true }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        using var accepted = JsonDocument.Parse(text);
        var copies = accepted.RootElement.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.GetProperty("email").GetString()!, r => r.GetProperty("messageId").GetString()!);
        Assert.Equal([alice, bob], copies.Keys);
        Assert.NotEqual(copies[alice], copies[bob]);
        Assert.Equal(copies[alice], accepted.RootElement.GetProperty("id").GetString());

        // Each mailbox gets one copy, whose List-Unsubscribe names its own copy, and DKIM (verified at delivery) covers both fields.
        var links = new Dictionary<string, string>();
        foreach (string rcpt in (string[])[alice, bob])
        {
            string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
            using var mime = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(delivered)), Ct);
            string header = mime.Headers["List-Unsubscribe"] ?? "";
            var match = LinkPattern().Match(header);
            Assert.True(match.Success, header);
            Assert.Equal(Server.BaseAddress.GetLeftPart(UriPartial.Authority), match.Groups["base"].Value);
            Assert.StartsWith(copies[rcpt] + ".", match.Groups["token"].Value, StringComparison.Ordinal);
            Assert.Equal("List-Unsubscribe=One-Click", mime.Headers["List-Unsubscribe-Post"]);
            string signed = mime.Headers["DKIM-Signature"] ?? "";
            Assert.Contains("list-unsubscribe:list-unsubscribe-post", Regex.Replace(signed, @"\s", "").ToLowerInvariant(), StringComparison.Ordinal);
            Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
            Assert.DoesNotContain(rcpt == alice ? bob : alice, delivered.Split("\r\n\r\n")[0].Split("\nTo:")[0], StringComparison.Ordinal);
            links[rcpt] = match.Groups["token"].Value;
        }

        using var anonymous = Server.Client(); // the link needs no API key
        // A scanner's GET shows a confirmation page and changes nothing.
        using (var page = await anonymous.GetAsync($"/u/{links[alice]}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            string html = await page.Content.ReadAsStringAsync(Ct);
            Assert.Contains("<form method=\"post\">", html, StringComparison.Ordinal);
            Assert.Contains(alice, html, StringComparison.Ordinal);
        }
        Assert.Equal(0, await SuppressionCountAsync(client, alice));

        // A token changed by one character, or another copy's MAC on this copy's id, is refused.
        string token = links[alice];
        string altered = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        string swapped = copies[alice] + links[bob][links[bob].IndexOf('.', StringComparison.Ordinal)..];
        foreach (string bad in (string[])[altered, swapped, "x" + token, copies[alice]])
        {
            using var refused = await anonymous.PostAsync($"/u/{bad}", OneClick(), Ct);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            using var refusedPage = await anonymous.GetAsync($"/u/{bad}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, refusedPage.StatusCode);
        }
        // A POST that is not a one-click request is refused too.
        using (var empty = await anonymous.PostAsync($"/u/{token}", new StringContent(""), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }
        Assert.Equal(0, await SuppressionCountAsync(client, alice));

        // The provider's one-click POST: suppressed for sender.test with an "unsubscribed" event; a second click is harmless.
        for (int click = 0; click < 2; click++)
        {
            using var done = await anonymous.PostAsync($"/u/{token}", OneClick(), Ct);
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }
        using (var list = await client.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(alice)}", Ct))
        {
            var entry = Assert.Single(list!.RootElement.GetProperty("suppressions").EnumerateArray());
            Assert.Equal("unsubscribe", entry.GetProperty("reason").GetString());
            Assert.Equal("sender.test", entry.GetProperty("scope").GetString());
        }
        using (var events = await client.GetFromJsonAsync<JsonDocument>($"/v1/events?messageId={copies[alice]}&type=unsubscribed", Ct))
        {
            Assert.Equal(alice, Assert.Single(events!.RootElement.GetProperty("events").EnumerateArray()).GetProperty("recipient").GetString());
        }
        Assert.Equal(0, await SuppressionCountAsync(client, bob));

        // The next newsletter: alice is suppressed (no copy attempted), bob gets his.
        using var next = await client.PostAsJsonAsync("/v1/messages",
            new { from = "news@sender.test", to = new[] { alice, bob }, subject = "Next week", text = "news", unsubscribe = true }, Ct);
        using var nextBody = JsonDocument.Parse(await next.Content.ReadAsStringAsync(Ct));
        var states = nextBody.RootElement.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.GetProperty("email").GetString()!, r => r.GetProperty("status").GetString());
        Assert.Equal("suppressed", states[alice]);
        Assert.Equal("queued", states[bob]);
    }

    [Fact]
    public async Task QueueAddUnsubscribe_OnTheCli_QueuesLikeTheApi_WithALinkTheServerHonours()
    {
        string rcpt = TestWorld.Unique("unsub-cli");
        // The operator's configuration, as the CLI sees it: the server's data directory, DKIM keys and public URL.
        string config = Path.Combine(fixture.Directory, "cli-unsubscribe.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
            Unsubscribe = new { BaseUrl = Server.BaseAddress.GetLeftPart(UriPartial.Authority) },
        }), Ct);
        var added = await Cli.CliProcess.RunAsync("queue", "add", "--config", config, "--data", fixture.Directory, "--unsubscribe",
            "--from", "news@sender.test", "--to", rcpt, "--subject", "From the CLI", "--text", "news");
        Assert.True(added.ExitCode == 0, added.Stderr);
        string id = added.Stdout.Trim();
        Assert.Matches("^[0-9a-f]{32}$", id);

        // The running server delivers it: signed, with this copy's link.
        string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
        using var mime = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(delivered)), Ct);
        var match = LinkPattern().Match(mime.Headers["List-Unsubscribe"] ?? "");
        Assert.True(match.Success, delivered[..Math.Min(delivered.Length, 800)]);
        Assert.StartsWith(id + ".", match.Groups["token"].Value, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);

        using var anonymous = Server.Client();
        using (var done = await anonymous.PostAsync($"/u/{match.Groups["token"].Value}", OneClick(), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }
        using var client = Server.Client(fixture.Secret);
        Assert.Equal(1, await SuppressionCountAsync(client, rcpt));
    }

    [Fact]
    public async Task UnsubscribeOnAMessageSignedByTheClient_Is422()
    {
        using var client = Server.Client(fixture.Secret);
        string raw = Convert.ToBase64String("From: news@sender.test\r\nDKIM-Signature: v=1; a=rsa-sha256; d=sender.test; s=x; h=from; bh=; b=\r\nSubject: x\r\n\r\nbody\r\n"u8.ToArray());
        await ApiAssertions.AssertProblemAsync(await client.PostAsJsonAsync("/v1/messages",
            new { envelope = new { from = "news@sender.test", to = new[] { TestWorld.Unique("unsub-raw") } }, raw, unsubscribe = true }, Ct), 422, "unsubscribe");
    }

    private static FormUrlEncodedContent OneClick() => new([new KeyValuePair<string, string>("List-Unsubscribe", "One-Click")]);

    private static async Task<int> SuppressionCountAsync(HttpClient client, string address)
    {
        using var list = await client.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(address)}", Ct);
        return list!.RootElement.GetProperty("suppressions").GetArrayLength();
    }

    [GeneratedRegex(@"^<(?<base>https?://[^/]+)/u/(?<token>[^>]+)>")]
    private static partial Regex LinkPattern();
}
