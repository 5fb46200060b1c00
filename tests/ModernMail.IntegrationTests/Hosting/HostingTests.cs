using System.Net;
using System.Net.Http.Json;
using System.Net.Mail;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Hosting;
using ModernMail.IntegrationTests.Queue;
using ModernMail.IntegrationTests.World;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using Npgsql;
using Xunit;

namespace ModernMail.IntegrationTests.Hosting;

/// <summary>AddModernMail in real hosts (the sample web app, a generic host over PostgreSQL) delivering through the test world's Postfix.</summary>
public sealed class HostingTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-hosting-it-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Points a host at the test world: every domain routed to the milter-free Postfix listener, DNS at dnsmasq.</summary>
    private static void UseTestWorld(BrokerConfig config)
    {
        config.Routes["*"] = $"127.0.0.1:{TestWorld.NoMilterMx.Port}";
        config.DnsServers.Add(TestWorld.DnsServer.ToString());
    }

    private static string Describe(HealthReport report) =>
        string.Join("; ", report.Entries.Select(e => $"{e.Key}={e.Value.Status} ({e.Value.Description})"));

    [Fact]
    public async Task SampleWebApp_QueuesAMessage_PostfixReceivesIt_AndHealthIsHealthy()
    {
        TestWorld.EnsureUp();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web.ConfigureTestServices(services =>
        {
            services.Configure<BrokerConfig>(UseTestWorld);
            services.Configure<QueueOptions>(o => o.Store = "sqlite:" + _directory);
            services.Configure<ModernMailHealthCheckOptions>(o => o.DnsProbeName = TestWorld.MxHost);
        }));
        using var client = factory.CreateClient();
        string to = TestWorld.Unique("hosting");

        var response = await client.PostAsJsonAsync("/messages",
            new { from = "app@" + TestWorld.SenderDomain, to, subject = "Hosted " + to, text = "Sent through AddModernMail." }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var files = await TestWorld.WaitForMessagesAsync(to, cancellationToken: Ct);
        Assert.Contains("Subject: Hosted " + to, await File.ReadAllTextAsync(Assert.Single(files), Ct));
        // The worker records the outcome right after Postfix's 250; the Maildir file can appear a moment before that commit.
        string state = "";
        for (int i = 0; i < 200 && state != "Delivered"; i++)
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/messages/{id}", Ct);
            state = status.GetProperty("recipients")[0].GetProperty("state").GetString()!;
            if (state != "Delivered")
            {
                await Task.Delay(50, Ct);
            }
        }
        Assert.Equal("Delivered", state);

        var health = await client.GetAsync("/health", Ct);
        string body = await health.Content.ReadAsStringAsync(Ct);
        var report = await factory.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
        Assert.True(health.StatusCode == HttpStatusCode.OK && body == "Healthy", $"/health: {(int)health.StatusCode} {body}: {Describe(report)}");
    }

    [Fact]
    public async Task PostgreSqlQueue_OnTheDataSourceFromDI_Delivers_ThenTheStoreCheckFailsWhenTheSchemaIsDropped()
    {
        TestWorld.EnsureUp();
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(database.ConnectionString));
        builder.Services.AddModernMail(o =>
        {
            o.HostName = "mail." + TestWorld.SenderDomain;
            UseTestWorld(o);
        }).AddPostgreSqlQueue().ConfigureQueue(o => o.PollInterval = TimeSpan.FromMilliseconds(200));
        builder.Services.AddHealthChecks().AddModernMailHealthChecks(o => o.DnsProbeName = TestWorld.MxHost);
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var queue = host.Services.GetRequiredService<MailQueue>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        string to = TestWorld.Unique("hosting-pg");

        using (var message = new MailMessage("app@" + TestWorld.SenderDomain, to, "Hosted over PostgreSQL " + to, "Queued in PostgreSQL."))
        {
            await queue.EnqueueAsync(message, Ct);
        }
        var files = await TestWorld.WaitForMessagesAsync(to, cancellationToken: Ct);
        var healthy = await health.CheckHealthAsync(Ct);

        Assert.IsType<PostgreSqlQueueStore>(queue.Store);
        Assert.Contains("Subject: Hosted over PostgreSQL " + to, await File.ReadAllTextAsync(Assert.Single(files), Ct));
        Assert.True(healthy.Status == HealthStatus.Healthy, Describe(healthy));

        // Break the store under the running host: its tables go away.
        string schema = new NpgsqlConnectionStringBuilder(database.ConnectionString).SearchPath!;
        await using (var connection = new NpgsqlConnection(PostgreSqlTestDatabase.BaseConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync(Ct);
        }
        var broken = await health.CheckHealthAsync(Ct);

        var store = broken.Entries[ModernMailHealthChecksBuilderExtensions.StoreCheckName];
        Assert.Equal(HealthStatus.Unhealthy, broken.Status);
        Assert.Equal(HealthStatus.Unhealthy, store.Status);
        Assert.Contains("does not exist", store.Description);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task WorkerCheck_StoreFailsUnderARunningWorker_ReportsTheWorkerStalledOnceTheLimitPasses()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(database.ConnectionString));
        builder.Services.AddModernMail(o => o.HostName = "mail." + TestWorld.SenderDomain).AddPostgreSqlQueue();
        builder.Services.AddHealthChecks().AddModernMailHealthChecks(o => o.WorkerStallTimeout = TimeSpan.FromMinutes(2));
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Func<HealthCheckRegistration, bool> workerOnly = r => r.Name == ModernMailHealthChecksBuilderExtensions.WorkerCheckName;
        // The queue creates its tables once; then they go away, so every store call of the worker fails from its first on.
        await host.Services.GetRequiredService<MailQueue>().EnsureInitializedAsync(Ct);
        string schema = new NpgsqlConnectionStringBuilder(database.ConnectionString).SearchPath!;
        await using (var connection = new NpgsqlConnection(PostgreSqlTestDatabase.BaseConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync(Ct);
        }

        await host.StartAsync(Ct);
        var started = await health.CheckHealthAsync(workerOnly, Ct);
        time.Advance(TimeSpan.FromMinutes(3));
        var stalled = await health.CheckHealthAsync(workerOnly, Ct);

        Assert.Equal(HealthStatus.Healthy, started.Status);
        Assert.Equal(HealthStatus.Unhealthy, stalled.Status);
        Assert.Contains("has not reached the store for 00:03:00 (limit 00:02:00)", stalled.Entries[ModernMailHealthChecksBuilderExtensions.WorkerCheckName].Description);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task PostgreSqlQueueStore_OverAGivenDataSource_LeavesItOpenWhenDisposed()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new PostgreSqlQueueStore(dataSource);
        await store.InitializeAsync(Ct);
        Assert.Null(await store.GetNextDueAsync(Ct));

        await store.DisposeAsync();

        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM mm_messages", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync(Ct));
    }
}
