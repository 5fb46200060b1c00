using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>GET /v1/events and /v1/suppressions of a real <c>mailbroker serve</c> delivering to the test world's Postfix.</summary>
public sealed class ServerEventsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => fixture.Server;

    [Fact]
    public async Task Delivery_IsQueuedThenDelivered_InEvents_WithMxTlsAndTags_AndOtherKeysSeeNone()
    {
        string rcpt = TestWorld.Unique("ev");
        using var client = Server.Client(fixture.Secret);
        string id = await SendAsync(client, rcpt, "queued", tags: ["welcome"]);
        (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();

        var events = await EventsAsync(client, $"messageId={id}");
        Assert.Equal(["queued", "delivered"], events.Select(e => e.GetProperty("type").GetString()));
        var delivered = events[1];
        Assert.Equal(rcpt, delivered.GetProperty("recipient").GetString());
        Assert.StartsWith("250", delivered.GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(delivered.GetProperty("mx").GetString()));
        Assert.Equal("sender.test", delivered.GetProperty("senderDomain").GetString());
        Assert.Equal("welcome", Assert.Single(delivered.GetProperty("tags").EnumerateArray()).GetString());
        Assert.NotEqual(events[0].GetProperty("id").GetString(), delivered.GetProperty("id").GetString());

        // Paging: from the first event's cursor, the next one for this message is the delivery.
        string first = events[0].GetProperty("cursor").GetString()!;
        var after = await EventsAsync(client, $"messageId={id}&since={Uri.EscapeDataString(first)}");
        Assert.Equal("delivered", Assert.Single(after).GetProperty("type").GetString());
        var typed = await EventsAsync(client, $"messageId={id}&type=delivered");
        Assert.Single(typed);

        // A key for another sender domain sees nothing of sender.test's mail.
        using var other = Server.Client(await Server.CreateKeyAsync("ev-other-" + Guid.NewGuid().ToString("N")[..6], "other.test"));
        Assert.Empty(await EventsAsync(other, $"messageId={id}"));
    }

    [Fact]
    public async Task BadEventQueries_Are400_NamingTheParameter()
    {
        using var client = Server.Client(fixture.Secret);
        await ApiAssertions.AssertProblemAsync(await client.GetAsync("/v1/events?type=opened", Ct), 400, "type");
        await ApiAssertions.AssertProblemAsync(await client.GetAsync("/v1/events?limit=0", Ct), 400, "limit");
        await ApiAssertions.AssertProblemAsync(await client.GetAsync("/v1/events?since=not-a-cursor", Ct), 400, "since");
        using var anonymous = Server.Client();
        await ApiAssertions.AssertProblemAsync(await anonymous.GetAsync("/v1/events", Ct), 401, "Authorization");
    }

    [Fact]
    public async Task UserUnknownBounce_SuppressesTheAddress_AndTheNextSendMakesNoConnection()
    {
        // The world's Postfix answers 550 5.1.1 to reject*@ recipients.
        string rcpt = TestWorld.Unique("reject");
        using var client = Server.Client(fixture.Secret);
        string first = await SendAsync(client, rcpt, "queued");
        (await ApiAssertions.WaitForStateAsync(client, first, "bounced")).Dispose();
        var bounced = (await EventsAsync(client, $"messageId={first}&type=bounced")).Single();
        Assert.Equal("InvalidRecipient", bounced.GetProperty("category").GetString());
        Assert.Contains("5.1.1", bounced.GetProperty("reply").GetString(), StringComparison.Ordinal);

        using (var list = await client.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(rcpt)}", Ct))
        {
            var entry = Assert.Single(list!.RootElement.GetProperty("suppressions").EnumerateArray());
            Assert.Equal("hardBounce", entry.GetProperty("reason").GetString());
            Assert.Equal("sender.test", entry.GetProperty("scope").GetString());
            Assert.Equal(first, entry.GetProperty("messageId").GetString());
        }
        int refusals = RcptLines(rcpt);
        Assert.True(refusals > 0, TestWorld.PostfixLogFor(rcpt));

        string second = await SendAsync(client, rcpt, "suppressed");
        using (var status = await client.GetFromJsonAsync<JsonDocument>($"/v1/messages/{second}", Ct))
        {
            Assert.Equal("suppressed", status!.RootElement.GetProperty("status").GetString());
        }
        Assert.Equal("suppressed", Assert.Single(await EventsAsync(client, $"messageId={second}")).GetProperty("type").GetString());
        // Give a worker that wrongly picked it up time to reach Postfix, then check it never did.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(refusals, RcptLines(rcpt));
    }

    [Fact]
    public async Task ManualSuppression_AddListRemove_GovernsTheNextSend()
    {
        string rcpt = TestWorld.Unique("sup");
        using var client = Server.Client(fixture.Secret);

        using (var added = await client.PostAsJsonAsync("/v1/suppressions", new { address = rcpt, detail = "asked by phone" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            using var body = JsonDocument.Parse(await added.Content.ReadAsStringAsync(Ct));
            Assert.Equal("manual", body.RootElement.GetProperty("reason").GetString());
            Assert.Equal("sender.test", body.RootElement.GetProperty("scope").GetString()); // the key's only domain
        }
        await SendAsync(client, rcpt, "suppressed");

        using (var removed = await client.DeleteAsync($"/v1/suppressions/{Uri.EscapeDataString(rcpt)}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        await ApiAssertions.AssertProblemAsync(await client.DeleteAsync($"/v1/suppressions/{Uri.EscapeDataString(rcpt)}", Ct), 404, null);
        string id = await SendAsync(client, rcpt, "queued");
        (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();
        Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct));
    }

    [Fact]
    public async Task GlobalSuppression_BelongsToUnrestrictedKeys_AndStopsEverySender()
    {
        string rcpt = TestWorld.Unique("glob");
        using var restricted = Server.Client(fixture.Secret);
        await ApiAssertions.AssertProblemAsync(await restricted.PostAsJsonAsync("/v1/suppressions", new { address = rcpt, scope = "*" }, Ct), 403, "scope");
        await ApiAssertions.AssertProblemAsync(await restricted.PostAsJsonAsync("/v1/suppressions", new { address = rcpt, scope = "b.test" }, Ct), 403, "scope");
        await ApiAssertions.AssertProblemAsync(await restricted.GetAsync("/v1/suppressions?scope=*", Ct), 403, "scope");
        await ApiAssertions.AssertProblemAsync(await restricted.PostAsJsonAsync("/v1/suppressions", new { address = "not an address" }, Ct), 422, "address");
        await ApiAssertions.AssertProblemAsync(await restricted.PostAsJsonAsync("/v1/suppressions", new { address = rcpt, reason = "bored" }, Ct), 422, "reason");
        await ApiAssertions.AssertProblemAsync(await restricted.PostAsJsonAsync("/v1/suppressions", new { address = rcpt, colour = "red" }, Ct), 400, null);

        using var admin = Server.Client(await Server.CreateKeyAsync("admin-" + Guid.NewGuid().ToString("N")[..6]));
        using (var added = await admin.PostAsJsonAsync("/v1/suppressions", new { address = rcpt.ToUpperInvariant(), reason = "complaint" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            using var body = JsonDocument.Parse(await added.Content.ReadAsStringAsync(Ct));
            Assert.Equal("*", body.RootElement.GetProperty("scope").GetString());
        }
        // The global entry stops sender.test's mail too, whatever the case of the address.
        await SendAsync(restricted, rcpt, "suppressed");
        using var all = await admin.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(rcpt)}", Ct);
        Assert.Equal("complaint", Assert.Single(all!.RootElement.GetProperty("suppressions").EnumerateArray()).GetProperty("reason").GetString());
        // The restricted key's own list does not show (or let it remove) the global entry.
        using var own = await restricted.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(rcpt)}", Ct);
        Assert.Empty(own!.RootElement.GetProperty("suppressions").EnumerateArray());
    }

    private async Task<string> SendAsync(HttpClient client, string rcpt, string expectedStatus, string[]? tags = null)
    {
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "events", text = "x", tags }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {text}\n{Server.Stderr}");
        using var body = JsonDocument.Parse(text);
        Assert.Equal(expectedStatus, Assert.Single(body.RootElement.GetProperty("recipients").EnumerateArray()).GetProperty("status").GetString());
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<List<JsonElement>> EventsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/v1/events?" + query, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>How many RCPT commands for the address Postfix has logged (each refused one is a "reject: RCPT" line).</summary>
    private static int RcptLines(string address) =>
        TestWorld.PostfixLogFor(address).Split('\n').Count(line => line.Contains("RCPT", StringComparison.Ordinal));
}
