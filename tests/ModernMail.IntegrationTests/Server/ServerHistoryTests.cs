using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>GET /v1/messages/{id} of a real <c>mailbroker serve</c>: each recipient's attempts with time, MX, TLS and reply,
/// and "requireTls" carried from the request to the delivery attempt.</summary>
public sealed class ServerHistoryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string id, Func<JsonElement, bool> done)
    {
        for (int i = 0; i < 300; i++)
        {
            using var response = await client.GetAsync($"/v1/messages/{id}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
            if (done(body))
            {
                return body;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"message {id} did not reach the expected state");
        return default;
    }

    private static async Task<string> PostAsync(HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/v1/messages", request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task DeliveredMessage_ShowsItsAttempt_WithMxTlsAndReply()
    {
        string rcpt = TestWorld.Unique("hist");
        using var client = fixture.Server.Client(fixture.Secret);
        string id = await PostAsync(client, new { from = "ops@sender.test", to = new[] { rcpt }, subject = "history", text = "x" });

        var status = await WaitForAsync(client, id, s => s.GetProperty("status").GetString() == "delivered");
        var recipient = Assert.Single(status.GetProperty("recipients").EnumerateArray());
        var attempt = Assert.Single(recipient.GetProperty("history").EnumerateArray());
        Assert.Equal(1, attempt.GetProperty("number").GetInt32());
        Assert.Equal("delivered", attempt.GetProperty("status").GetString());
        Assert.Equal("127.0.0.1", attempt.GetProperty("mx").GetString()); // the fixture's static route
        Assert.StartsWith("Tls", attempt.GetProperty("tls").GetString(), StringComparison.Ordinal); // Postfix offers STARTTLS
        Assert.Equal("none", attempt.GetProperty("tlsPolicy").GetString());
        Assert.StartsWith("250", attempt.GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.True(attempt.GetProperty("at").GetDateTimeOffset() >= status.GetProperty("createdAt").GetDateTimeOffset());

        // Lists stay light: no history there.
        using var list = await client.GetAsync("/v1/messages?limit=1000", Ct);
        var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("id").GetString() == id);
        Assert.False(listed.GetProperty("recipients")[0].TryGetProperty("history", out _));
    }

    [Fact]
    public async Task RequireTls_IsHonouredByTheWorker_NotSentToAnUnauthenticatedServer()
    {
        string rcpt = TestWorld.Unique("reqtls");
        using var client = fixture.Server.Client(fixture.Secret);
        string id = await PostAsync(client, new { from = "ops@sender.test", to = new[] { rcpt }, subject = "requiretls", text = "x", requireTls = true });

        // The world's Postfix has a certificate nobody trusts and no REQUIRETLS: the attempt is refused, not sent.
        var status = await WaitForAsync(client, id, s => s.GetProperty("recipients")[0].GetProperty("attempts").GetInt32() >= 1);
        var recipient = status.GetProperty("recipients")[0];
        Assert.NotEqual("delivered", recipient.GetProperty("status").GetString());
        Assert.Contains("REQUIRETLS", recipient.GetProperty("lastReply").GetString(), StringComparison.Ordinal);
        await Task.Delay(500, Ct);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }
}
