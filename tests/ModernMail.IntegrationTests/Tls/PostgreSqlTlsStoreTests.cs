using System.Net;
using ModernMail.IntegrationTests.World;
using ModernMail.PostgreSql.Internal;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Npgsql;
using Xunit;

namespace ModernMail.IntegrationTests.Tls;

/// <summary>MTA-STS policies and TLS-RPT counts in the world's PostgreSQL, shared by two store instances as two nodes would.</summary>
public sealed class PostgreSqlTlsStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public PostgreSqlTlsStoreTests() => TestWorld.EnsureUp();

    [Fact]
    public async Task PolicySavedByOneNode_IsLoadedByAnother_AndReplacedOnChange()
    {
        string domain = TestWorld.Unique("pgsts", "example").Replace('@', '-');
        await using var a = new PostgreSqlTlsStore(TestWorld.PostgresConnectionString);
        await using var b = new PostgreSqlTlsStore(TestWorld.PostgresConnectionString);
        var fetched = new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);
        await a.SaveAsync(new MtaStsPolicy(domain, "id1", MtaStsMode.Enforce, ["mx.a.test", "*.b.test"], TimeSpan.FromDays(7), fetched), Ct);

        var loaded = await b.LoadAsync(domain, Ct);
        Assert.NotNull(loaded);
        Assert.Equal("id1", loaded.Id);
        Assert.Equal(MtaStsMode.Enforce, loaded.Mode);
        Assert.Equal(["mx.a.test", "*.b.test"], loaded.MxPatterns);
        Assert.Equal(fetched, loaded.FetchedAt);

        await b.SaveAsync(new MtaStsPolicy(domain, "id2", MtaStsMode.Testing, ["mx.c.test"], TimeSpan.FromDays(1), fetched.AddHours(1)), Ct);
        Assert.Equal("id2", (await a.LoadAsync(domain, Ct))!.Id);
        Assert.Null(await a.LoadAsync("absent-" + domain, Ct));
    }

    [Fact]
    public async Task CountsFromTwoNodes_AddUpInOneReport()
    {
        string domain = TestWorld.Unique("pgrpt", "example").Replace('@', '-');
        var day = new DateOnly(2026, 12, 3);
        var ok = TlsSessionOutcome.NoPolicy(domain, null, "mx.a.test", IPAddress.Loopback);
        var failed = TlsSessionOutcome.NoPolicy(domain, TlsResultType.StartTlsNotSupported, "mx.a.test", IPAddress.Loopback);
        await using (var a = new PostgreSqlTlsStore(TestWorld.PostgresConnectionString))
        await using (var b = new PostgreSqlTlsStore(TestWorld.PostgresConnectionString))
        {
            await Task.WhenAll(
                a.AddAsync([new((day, ok), 3), new((day, failed), 1)], Ct),
                b.AddAsync([new((day, failed), 2), new((day, ok), 4)], Ct));
            var rows = await a.ReadAsync(day, domain.ToUpperInvariant() + ".", Ct);
            Assert.Equal(7, rows.Single(r => r.Outcome.ResultType is null).Sessions);
            Assert.Equal(3, rows.Single(r => r.Outcome.ResultType == TlsResultType.StartTlsNotSupported).Sessions);
            Assert.Empty(await b.ReadAsync(day.AddDays(1), domain, Ct));
        }
        NpgsqlConnection.ClearAllPools();
    }
}
