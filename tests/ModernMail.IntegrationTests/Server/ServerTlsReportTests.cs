using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.Cli;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>TLS reporting of a real <c>mailbroker serve</c>: the sessions its worker opened, as RFC 8460 reports over HTTP and from the CLI.</summary>
public sealed class ServerTlsReportTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterADelivery_ReportsCountTheSession_OverHttpAndCli()
    {
        string rcpt = TestWorld.Unique("tlsrpt", TestWorld.DomainB);
        using var client = fixture.Server.Client(fixture.Secret);
        using (var sent = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "tls report", text = "x" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }
        await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct);

        string today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        JsonElement report = default;
        for (int i = 0; i < 50; i++)
        {
            // The worker records the session right after it answers; the report may trail the Maildir by a moment.
            using var response = await client.GetAsync($"/v1/tls/reports?domain={TestWorld.DomainB}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal(today, body.RootElement.GetProperty("date").GetString());
            var reports = body.RootElement.GetProperty("reports");
            if (reports.GetArrayLength() == 1)
            {
                report = reports[0].Clone();
                break;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Equal(JsonValueKind.Object, report.ValueKind);
        Assert.Equal("mx.sender.test", report.GetProperty("organization-name").GetString());
        Assert.Equal(today + "T00:00:00Z", report.GetProperty("date-range").GetProperty("start-datetime").GetString());
        var policy = Assert.Single(report.GetProperty("policies").EnumerateArray());
        // The server's static route bypasses recipient policies: the domain's sessions are "no-policy-found".
        Assert.Equal("no-policy-found", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal(TestWorld.DomainB, policy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.True(policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64() >= 1);

        CliResult cli = await CliProcess.RunAsync("tls", "report", "--data", fixture.Server.DataDirectory, "--domain", TestWorld.DomainB, "--json");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        using var printed = JsonDocument.Parse(cli.Stdout);
        Assert.Equal(TestWorld.DomainB, printed.RootElement[0].GetProperty("policies")[0].GetProperty("policy").GetProperty("policy-domain").GetString());

        CliResult text = await CliProcess.RunAsync("tls", "report", "--data", fixture.Server.DataDirectory);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains(text.StdoutLines, l => l.Contains($"{TestWorld.DomainB}  policy=no-policy-found  successful=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadDate_Is400_NoKey_Is401()
    {
        using var client = fixture.Server.Client(fixture.Secret);
        using var bad = await client.GetAsync("/v1/tls/reports?date=yesterday", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("date", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var anonymous = fixture.Server.Client();
        using var refused = await anonymous.GetAsync("/v1/tls/reports", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
