using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.Tests.Tls;

public sealed class TlsReportTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-tlsrpt-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task CountsPerDayAndPolicy_BecomeAnRfc8460Report()
    {
        Directory.CreateDirectory(_directory);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 23, 0, 0, TimeSpan.Zero));
        var store = new SqliteTlsStore(Path.Combine(_directory, "tls.db"));
        var policy = MtaStsPolicy.Parse("example.com", "1", "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n", time.GetUtcNow());
        await using (var recorder = new TlsReportRecorder(store, time, TimeSpan.FromHours(1)))
        {
            for (int i = 0; i < 3; i++)
            {
                recorder.Record(TlsSessionOutcome.Sts(policy, mx: "mx1.example.com"));
            }
            recorder.Record(TlsSessionOutcome.Sts(policy, TlsResultType.StartTlsNotSupported, "mx2.example.com", IPAddress.Parse("192.0.2.7"), "no STARTTLS in EHLO"));
            recorder.Record(TlsSessionOutcome.NoPolicy("other.test"));
            await recorder.FlushAsync(Ct);
            time.Advance(TimeSpan.FromHours(2)); // the next UTC day
            recorder.Record(TlsSessionOutcome.Sts(policy, mx: "mx1.example.com"));
        }

        var rows = await store.ReadAsync(new DateOnly(2026, 12, 2), "Example.com.", Ct);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            TlsReportWriter.Write(json, "ModernMail test", "mailto:tls@sender.test", "r1", new DateOnly(2026, 12, 2), rows);
        }
        using var report = JsonDocument.Parse(buffer.ToArray());
        var root = report.RootElement;
        Assert.Equal("2026-12-02T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        var only = Assert.Single(root.GetProperty("policies").EnumerateArray());
        Assert.Equal("sts", only.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal("example.com", only.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Equal(["*.example.com"], only.GetProperty("policy").GetProperty("mx-host").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("mode: enforce", only.GetProperty("policy").GetProperty("policy-string").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, only.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(1, only.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
        var failure = Assert.Single(only.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("starttls-not-supported", failure.GetProperty("result-type").GetString());
        Assert.Equal("mx2.example.com", failure.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal("192.0.2.7", failure.GetProperty("receiving-ip").GetString());
        Assert.Equal(1, failure.GetProperty("failed-session-count").GetInt64());

        // The session after midnight UTC counts on the next day, flushed when the recorder was disposed.
        var next = await store.ReadAsync(new DateOnly(2026, 12, 3), null, Ct);
        Assert.Equal(1, Assert.Single(next).Sessions);
        Assert.Single(await store.ReadAsync(new DateOnly(2026, 12, 2), "other.test", Ct));
    }
}
