using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>OTLP export and JSON logs on a real <c>mailbroker serve</c>: a message delivered through Postfix reaches an OTLP/HTTP
/// receiver as spans and metrics, and every log line of its delivery names the message and its trace.</summary>
public sealed class ServerTelemetryExportTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-otlp-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<(string Path, string ContentType, byte[] Body)> _received = new();
    private WebApplication _collector = null!; // Set in InitializeAsync.
    private int _collectorPort;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _collectorPort = ServeProcess.FreePort(29600, 100);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _collectorPort));
        _collector = builder.Build();
        // A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver: it keeps what arrives and answers 200.
        _collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue((context.Request.Path, context.Request.ContentType ?? "", body.ToArray()));
            return Results.Ok();
        });
        await _collector.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _collector.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task ADeliveredMessage_IsExportedOverOtlp_AndItsLogLinesCarryTheMessageAndTraceIds()
    {
        await using var server = await ServeProcess.StartAsync(_directory, ["--log-format", "json", "--verbose"], new Dictionary<string, string>
        {
            ["MAILBROKER__TELEMETRY__OTLPENDPOINT"] = $"http://127.0.0.1:{_collectorPort}",
            ["MAILBROKER__TELEMETRY__OTLPPROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
        });
        string secret = await server.CreateKeyAsync("ops");
        using var client = server.Client(secret);
        string rcpt = TestWorld.Unique("otlp");
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "ops@sender.test", to = new[] { rcpt }, subject = "otlp", text = "x" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        string id = accepted.RootElement.GetProperty("id").GetString()!;
        (await ApiAssertions.WaitForStateAsync(client, id, "delivered")).Dispose();

        // Spans of the ModernMail source (the delivery among them) and the ModernMail meter's counters arrive as OTLP protobuf.
        // The bound turns a hang into a failure; it is not a timing assertion.
        for (int i = 0; i < 300 && !(Has("/v1/traces", "deliver") && Has("/v1/metrics", "modernmail.recipients")); i++)
        {
            Assert.False(server.HasExited, server.Stderr);
            await Task.Delay(200, Ct);
        }
        Assert.True(Has("/v1/traces", "deliver") && Has("/v1/metrics", "modernmail.recipients"),
            $"received: {string.Join(", ", _received.Select(r => $"{r.Path} {r.Body.Length} B"))}; stderr: {server.Stderr[^Math.Min(server.Stderr.Length, 2000)..]}");
        Assert.All(_received, r => Assert.Equal("application/x-protobuf", r.ContentType));

        // JSON logs: the delivery's lines name the message and the trace it belongs to.
        var lines = server.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.NotEmpty(lines);
        var delivery = lines.Where(l => l.RootElement.TryGetProperty("Scopes", out var scopes)
            && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("MessageId", out var m) && m.GetString() == id)).ToList();
        Assert.True(delivery.Count > 0, server.Stderr[^Math.Min(server.Stderr.Length, 3000)..]);
        Assert.All(delivery, l => Assert.Contains(l.RootElement.GetProperty("Scopes").EnumerateArray(),
            s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out var t) && t.GetString()!.Length == 32));
        foreach (var line in lines)
        {
            line.Dispose();
        }
    }

    [Fact]
    public async Task AWorkerOnlyServer_ExportsOverOtlpToo_AndFlushesWhenItExits()
    {
        string data = Path.Combine(_directory, "worker");
        string config = Path.Combine(_directory, "worker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Telemetry = new { OtlpEndpoint = $"http://127.0.0.1:{_collectorPort}", OtlpProtocol = "http/protobuf" },
        }), Ct);
        var added = await Cli.CliProcess.RunAsync("queue", "add", "--store", "sqlite:" + data, "--from", "ops@sender.test", "--to", TestWorld.Unique("otlp-worker"),
            "--subject", "worker", "--text", "x");
        Assert.True(added.ExitCode == 0, added.Stderr);

        // No HTTP API and no SMTP listener: the worker alone, until the queue is empty.
        var served = await Cli.CliProcess.RunAsync("serve", "--config", config, "--data", data, "--http", "none", "--smtp", "none", "--exit-when-idle",
            "--route", "*=127.0.0.1:2525", "--hostname", "mx.sender.test");
        Assert.True(served.ExitCode == 0, served.Stderr);

        Assert.True(Has("/v1/traces", "deliver"), string.Join(", ", _received.Select(r => r.Path)));
        Assert.True(Has("/v1/metrics", "modernmail.recipients"), string.Join(", ", _received.Select(r => r.Path)));
    }

    private bool Has(string path, string text)
    {
        byte[] needle = Encoding.UTF8.GetBytes(text);
        return _received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
    }
}
