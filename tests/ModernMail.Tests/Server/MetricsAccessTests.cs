using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Server.Http;
using ModernMail.Server.Keys;
using ModernMail.Server.Storage;
using Xunit;

namespace ModernMail.Tests.Server;

/// <summary>Who may read GET /metrics: anyone on a loopback listener, elsewhere only a key for every domain.</summary>
public sealed class MetricsAccessTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-metrics-keys-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteServerStore _store;
    private readonly ServiceProvider _services;

    public MetricsAccessTests()
    {
        _store = new SqliteServerStore(_directory);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new ApiKeyService(_store, new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))));
        _services = services.BuildServiceProvider();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Metrics_OnALoopbackListener_NeedNoKey(string local)
    {
        var (status, passed) = await ScrapeAsync(local, authorization: null);

        Assert.True(passed);
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Metrics_ElsewhereWithoutAKey_Are401WithAChallenge()
    {
        var (status, passed) = await ScrapeAsync("192.0.2.10", authorization: null);

        Assert.False(passed);
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Metrics_ElsewhereWithAWrongKey_Are401()
    {
        await _store.InitializeAsync(Ct);

        var (status, passed) = await ScrapeAsync("192.0.2.10", "Bearer mm_not-a-real-key");

        Assert.False(passed);
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Metrics_ElsewhereWithADomainKey_Are403_AndWithAnUnrestrictedKey_PassThrough()
    {
        await _store.InitializeAsync(Ct);
        var keys = _services.GetRequiredService<ApiKeyService>();
        var (_, limited) = await keys.CreateAsync("tenant", ["sender.test"], Ct);
        var (_, admin) = await keys.CreateAsync("ops", [], Ct);

        var (limitedStatus, limitedPassed) = await ScrapeAsync("192.0.2.10", "Bearer " + limited);
        var (adminStatus, adminPassed) = await ScrapeAsync("192.0.2.10", "Bearer " + admin);

        Assert.False(limitedPassed);
        Assert.Equal(403, limitedStatus);
        Assert.True(adminPassed);
        Assert.Equal(200, adminStatus);
    }

    [Theory]
    [InlineData("127.0.0.1:8025", null, true)]
    [InlineData("localhost:8025", null, true)]
    [InlineData("[::1]:8025", null, true)]
    [InlineData("rebind.example:8025", null, false)] // DNS rebinding: a foreign page re-pointed at 127.0.0.1
    [InlineData("127.0.0.1:8025", "X-Forwarded-For", false)] // a proxy on this host, for someone elsewhere
    [InlineData("127.0.0.1:8025", "Forwarded", false)]
    public async Task Metrics_OnALoopbackListener_AreFreeOnlyUnderALoopbackHostAndNotThroughAProxy(string host, string? proxyHeader, bool free)
    {
        var (status, passed) = await ScrapeAsync("127.0.0.1", authorization: null, host, proxyHeader);

        Assert.Equal(free, passed);
        Assert.Equal(free ? 200 : 401, status);
    }

    private async Task<(int Status, bool Passed)> ScrapeAsync(string localAddress, string? authorization, string? host = null, string? proxyHeader = null)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Connection.LocalIpAddress = IPAddress.Parse(localAddress);
        if (host is not null)
        {
            context.Request.Host = HostString.FromUriComponent(host);
        }
        if (proxyHeader is not null)
        {
            context.Request.Headers[proxyHeader] = "for=198.51.100.7";
        }
        context.Request.Method = "GET";
        context.Request.Path = MetricsEndpoint.Path;
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        context.Response.Body = new MemoryStream();
        bool passed = false;

        await MetricsEndpoint.CheckAccessAsync(context, _ =>
        {
            passed = true;
            return Task.CompletedTask;
        });

        if (!passed && context.Response.StatusCode == 401)
        {
            Assert.StartsWith("Bearer realm=\"mailbroker\"", context.Response.Headers.WWWAuthenticate.ToString(), StringComparison.Ordinal);
        }
        return (context.Response.StatusCode, passed);
    }
}
