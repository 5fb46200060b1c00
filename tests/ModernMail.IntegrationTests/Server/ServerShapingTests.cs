using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Traffic shaping configured in mailbroker.json on a real <c>mailbroker serve</c>, delivering through the test world's
/// Postfix: the rule's limits and counts show in GET /v1/destinations (the limits themselves are asserted against a counting MX in
/// ShapedDeliveryTests).</summary>
public sealed class ServerShapingTests : IAsyncLifetime
{
    private ConfiguredServer _world = null!; // Set in InitializeAsync.

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => _world.Server;

    public async ValueTask InitializeAsync() => _world = await ConfiguredServer.StartAsync("shaping", new
    {
        Delivery = new
        {
            Shaping = new
            {
                Rules = new[] { new { Name = "world-a", Domains = new[] { TestWorld.DomainA }, MaxConnections = 1, MaxMessagesPerConnection = 2, Source = "test" } },
            },
        },
    }, cancellationToken: Ct);

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task ARuleFromTheConfiguration_ShapesDelivery_AndDestinationsShowIt()
    {
        string secret = await Server.CreateKeyAsync("ops");
        using var client = Server.Client(secret);
        var rcpts = Enumerable.Range(0, 5).Select(i => TestWorld.Unique($"shape{i}")).ToList();
        var ids = new List<string>();
        foreach (string rcpt in rcpts)
        {
            using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "shaped", text = "x" }, Ct);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add(body.RootElement.GetProperty("id").GetString()!);
        }
        foreach (string id in ids)
        {
            (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();
        }
        foreach (string rcpt in rcpts)
        {
            Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct));
        }

        using var list = await client.GetFromJsonAsync<JsonDocument>("/v1/destinations", Ct);
        var destination = Assert.Single(list!.RootElement.GetProperty("destinations").EnumerateArray(), d => d.GetProperty("name").GetString() == "world-a");
        Assert.Equal(1, destination.GetProperty("limits").GetProperty("maxConnections").GetInt32());
        Assert.Equal(2, destination.GetProperty("limits").GetProperty("maxMessagesPerConnection").GetInt32());
        Assert.Equal(5, destination.GetProperty("delivered").GetInt64());
        Assert.InRange(destination.GetProperty("connections").GetInt32(), 0, 1);
        Assert.False(destination.TryGetProperty("suspendedUntil", out _)); // null fields are left out
        Assert.Equal(0, destination.GetProperty("pending").GetInt64()); // all five delivered
        Assert.Contains(TestWorld.DomainA, destination.GetProperty("domains").EnumerateArray().Select(d => d.GetString()));

        // The operator's command asks the running server (live state is in its memory).
        var cli = await Cli.CliProcess.RunAsync("queue", "destinations", "--url", Server.BaseAddress.ToString(), "--key", secret);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Matches(@"(?m)^world-a  [01]/1  0  0  full  -  5  0  -$", cli.Stdout);
        var refused = await Cli.CliProcess.RunAsync("queue", "destinations", "--url", Server.BaseAddress.ToString(), "--key", "wrong");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("401", refused.Stderr, StringComparison.Ordinal);

        // The status page (loopback: no key) shows the same destination live.
        using (var anonymous = Server.Client())
        {
            string page = await anonymous.GetStringAsync("/", Ct);
            Assert.Contains("<tr data-destination=\"world-a\">", page, StringComparison.Ordinal);
            Assert.Matches(@"data-destination=""world-a""><td>world-a</td><td class=""connections"">[01] / 1</td>", page);
        }

        // Destinations span every sender: a key limited to one domain may not list them.
        string limited = await Server.CreateKeyAsync("tenant", TestWorld.SenderDomain);
        using var tenant = Server.Client(limited);
        await ApiAssertions.AssertProblemAsync(await tenant.GetAsync("/v1/destinations", Ct), 403, null);
    }
}
