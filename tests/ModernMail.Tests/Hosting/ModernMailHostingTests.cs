using System.Net;
using System.Net.Mail;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery;
using ModernMail.Dns;
using ModernMail.Hosting.Internal;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.Tests.Hosting;

/// <summary>AddModernMail in a real Host and ServiceCollection: what is registered, what fails at start and why, what is disposed.</summary>
public sealed class ModernMailHostingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-hosting-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private HostApplicationBuilder NewBuilder(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        return builder;
    }

    [Fact]
    public async Task AddModernMail_WithSqliteQueue_RegistersOneOfEachAndStartsTheWorker()
    {
        var builder = NewBuilder();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddLogging();
        builder.Services.AddModernMail(o => o.HostName = "mail.example.com").AddSqliteQueue(_directory);

        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var services = host.Services;
        var broker = services.GetRequiredService<MailBroker>();
        Assert.Same(broker, services.GetRequiredService<MailBroker>());
        Assert.Same(services.GetRequiredService<SmtpTransport>(), services.GetRequiredService<IMailTransport>());
        Assert.IsType<DnsClientLookup>(services.GetRequiredService<IDnsLookup>());
        Assert.Equal("mail.example.com", broker.Config.HostName);
        Assert.Same(time, broker.Config.TimeProvider);
        Assert.Same(services.GetRequiredService<ILoggerFactory>(), broker.Config.LoggerFactory);

        var queue = services.GetRequiredService<MailQueue>();
        Assert.Same(services.GetRequiredService<IQueueStore>(), queue.Store);
        var store = Assert.IsType<SqliteQueueStore>(queue.Store);
        Assert.Equal(Path.Combine(_directory, "queue.db"), store.Path);
        Assert.Equal("mail.example.com", queue.Options.HostName);
        Assert.Same(time, queue.Options.TimeProvider);

        var worker = services.GetRequiredService<QueueWorker>();
        Assert.Single(services.GetServices<IHostedService>().OfType<QueueWorkerService>());
        Assert.True(worker.IsRunning);
        Assert.Equal(time.GetUtcNow(), worker.LastActivity);

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(worker.IsRunning);
    }

    [Fact]
    public async Task AddModernMail_FromConfiguration_BindsBrokerAndQueueOptions()
    {
        var builder = NewBuilder(
            ("ModernMail:HostName", "mx.example.org"),
            ("ModernMail:SmtpPort", "2525"),
            ("ModernMail:Tls", "Required"),
            ("ModernMail:Routes:*", "127.0.0.1:2525"),
            ("ModernMail:DnsServers:0", "127.0.0.1:5300"),
            ("ModernMail:Queue:MaxConcurrentDeliveries", "3"),
            ("ModernMail:Queue:FirstRetryDelay", "00:01:00"),
            ("ModernMail:Queue:Store", "sqlite:/nonexistent/overridden-by-AddSqliteQueue"));
        builder.Services.AddModernMail(builder.Configuration.GetSection("ModernMail")).AddSqliteQueue(_directory);

        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var config = host.Services.GetRequiredService<IOptions<BrokerConfig>>().Value;
        Assert.Equal("mx.example.org", config.HostName);
        Assert.Equal(2525, config.SmtpPort);
        Assert.Equal(TlsPolicy.Required, config.Tls);
        Assert.Equal("127.0.0.1:2525", config.Routes["*"]);
        Assert.Equal(["127.0.0.1:5300"], config.DnsServers);
        var queue = host.Services.GetRequiredService<MailQueue>();
        Assert.Equal(3, queue.Options.MaxConcurrentDeliveries);
        Assert.Equal(TimeSpan.FromMinutes(1), queue.Options.FirstRetryDelay);
        Assert.Equal("sqlite:" + _directory, queue.Options.Store);
        Assert.Equal("mx.example.org", queue.Options.HostName);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Start_HostNameWithSpace_FailsNamingTheSetting()
    {
        var builder = NewBuilder();
        builder.Services.AddModernMail(o => o.HostName = "mail example.com");

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("BrokerConfig:HostName: The host name \"mail example.com\" contains CR, LF, NUL or white space.", error.Message);
    }

    [Fact]
    public async Task Start_BadConfigurationValues_FailNamingTheirConfigurationPaths()
    {
        var builder = NewBuilder(("Mail:MaxParallelDomains", "0"), ("Mail:Queue:MaxConcurrentDeliveries", "0"));
        builder.Services.AddModernMail(builder.Configuration.GetSection("Mail")).AddSqliteQueue(_directory);

        using var host = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));

        var messages = error is AggregateException aggregate ? string.Join("\n", aggregate.InnerExceptions.Select(e => e.Message)) : error.Message;
        Assert.Contains("Mail:MaxParallelDomains: MaxParallelDomains ('0') must be greater than or equal to '1'.", messages);
        Assert.Contains("Mail:Queue:MaxConcurrentDeliveries: MaxConcurrentDeliveries ('0') must be greater than or equal to '1'.", messages);
        Assert.DoesNotContain("(Parameter", messages);
    }

    [Fact]
    public async Task Start_SmtpPortOutOfRange_FailsNamingTheSetting()
    {
        var builder = NewBuilder();
        builder.Services.AddModernMail(o => o.SmtpPort = 70000);

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("BrokerConfig:SmtpPort: SmtpPort ('70000') must be less than or equal to '65535'.", error.Message);
    }

    [Fact]
    public async Task Start_BadDnsServer_FailsWithTheServersOwnMessage()
    {
        var builder = NewBuilder();
        builder.Services.AddModernMail(o => o.DnsServers.Add("not-an-address"));

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("DNS server \"not-an-address\" is not an IP address with an optional :port.", error.Message);
    }

    [Fact]
    public async Task DisposeHost_DisposesBrokerTransportAndQueue()
    {
        var builder = NewBuilder();
        builder.Services.AddModernMail(o => o.HostName = "mail.example.com").AddSqliteQueue(_directory);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var broker = host.Services.GetRequiredService<MailBroker>();
        var transport = host.Services.GetRequiredService<SmtpTransport>();
        var worker = host.Services.GetRequiredService<QueueWorker>();
        await host.StopAsync(TestContext.Current.CancellationToken);

        await ((IAsyncDisposable)host).DisposeAsync();

        using var message = new MailMessage("a@example.com", "b@example.net", "s", "b");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => broker.SendAsync(message, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => transport.DeliverAsync(
            new Envelope(new MailAddress("a@example.com"), [new MailAddress("b@example.net")]), new MemoryStream("x\r\n"u8.ToArray()), TestContext.Current.CancellationToken));
        Assert.False(worker.IsRunning);
        // The store closed its database: the file can be deleted (SQLite pools would hold it otherwise on some platforms) and reopened cleanly.
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void AddQueue_Twice_Throws()
    {
        var services = new ServiceCollection();
        var mail = services.AddModernMail(o => o.HostName = "mail.example.com").AddSqliteQueue(_directory);

        var error = Assert.Throws<InvalidOperationException>(() => mail.AddSqliteQueue(_directory));

        Assert.Contains("registered already", error.Message);
    }

    [Fact]
    public async Task StoreCheck_StoreCannotBeCreated_IsUnhealthyWithTheStoresMessage()
    {
        Directory.CreateDirectory(_directory);
        string blocker = Path.Combine(_directory, "file");
        await File.WriteAllTextAsync(blocker, "not a directory", TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddModernMail(o => o.HostName = "mail.example.com").AddSqliteQueue(Path.Combine(blocker, "queue"));
        services.AddHealthChecks().AddModernMailHealthChecks();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(
            r => r.Name == ModernMailHealthChecksBuilderExtensions.StoreCheckName, TestContext.Current.CancellationToken);

        var entry = report.Entries[ModernMailHealthChecksBuilderExtensions.StoreCheckName];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains($"'{blocker}' is a file, not a directory", entry.Description);
    }

    [Fact]
    public async Task WorkerCheck_FollowsTheHostedWorker()
    {
        var builder = NewBuilder();
        builder.Services.AddModernMail(o => o.HostName = "mail.example.com").AddSqliteQueue(_directory);
        builder.Services.AddHealthChecks().AddModernMailHealthChecks();
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Func<HealthCheckRegistration, bool> workerOnly = r => r.Name == ModernMailHealthChecksBuilderExtensions.WorkerCheckName;

        var before = await health.CheckHealthAsync(workerOnly, TestContext.Current.CancellationToken);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var running = await health.CheckHealthAsync(workerOnly, TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
        var stopped = await health.CheckHealthAsync(workerOnly, TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Contains("is not running", stopped.Entries[ModernMailHealthChecksBuilderExtensions.WorkerCheckName].Description);
    }

    [Fact]
    public async Task DnsCheck_ServerNeverAnswers_IsDegraded()
    {
        // A real UDP socket that reads queries and never answers: the resolver stalls, as a dead or firewalled one does.
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddModernMail(o => o.DnsServers.Add(((IPEndPoint)silent.Client.LocalEndPoint!).ToString()));
        services.AddHealthChecks().AddModernMailHealthChecks(o =>
        {
            o.DnsProbeName = "example.com";
            o.DnsTimeout = TimeSpan.FromMilliseconds(300);
        });
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var dns = report.Entries[ModernMailHealthChecksBuilderExtensions.DnsCheckName];
        Assert.Equal(HealthStatus.Degraded, dns.Status);
        Assert.Contains("example.com", dns.Description);
        // Without a queue the other two say so and stay healthy.
        Assert.Equal(HealthStatus.Healthy, report.Entries[ModernMailHealthChecksBuilderExtensions.StoreCheckName].Status);
        Assert.Equal(HealthStatus.Degraded, report.Status);
    }
}
