using ModernMail.Server.Configuration;
using Xunit;

namespace ModernMail.Tests.Server;

public sealed class ServerConfigurationTests
{
    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void NoConfiguration_IsALocalInstance()
    {
        var settings = ServerConfigurationLoader.Load(null, new Dictionary<string, string?>());
        Assert.Equal("127.0.0.1:8025", settings.Http.Listen);
        Assert.Equal("sqlite:mailbroker-data", settings.EffectiveStore);
        Assert.Equal(25L * 1024 * 1024, settings.Http.MaxRequestBodySize);
    }

    [Fact]
    public void ExampleFile_Loads_AndEnvironmentOverridesIt()
    {
        string file = RepoFile("docs/mailbroker.example.json");
        var settings = ServerConfigurationLoader.Load(file, new Dictionary<string, string?>
        {
            ["MAILBROKER__HTTP__LISTEN"] = "0.0.0.0:9000",
            ["MAILBROKER__DELIVERY__CONCURRENCY"] = "32",
            ["OTHER__HTTP__LISTEN"] = "ignored",
        });
        Assert.Equal("0.0.0.0:9000", settings.Http.Listen);
        Assert.Equal(32, settings.Delivery.Concurrency);
        Assert.Equal("mail.example.com", settings.HostName);
        Assert.Equal(TimeSpan.FromDays(5), settings.Delivery.Lifetime);
        Assert.Equal(2, settings.Dkim.Count);
        // A relative key path is relative to the file, an absolute one is kept.
        Assert.Equal(Path.Combine(Path.GetDirectoryName(file)!, "keys/example.com.s1.pem"), settings.Dkim[0].KeyFile);
        Assert.Equal("/etc/mailbroker/example.org.pem", settings.Dkim[1].KeyFile);
        var rule = Assert.Single(settings.Delivery.Shaping.Rules);
        Assert.Equal(["partner.example"], rule.Domains);
        Assert.Equal(2000, rule.MessagesPerHour);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.Delivery.Shaping.Default.SuspendFor);
        Assert.Equal("bounces.example.com", settings.Inbound.Domain);
    }

    [Theory]
    [InlineData("{\"Http\": {\"Lisen\": \"x\"}}", "Lisen")]
    [InlineData("{\"Delivery\": {\"Concurrency\": \"many\"}}", "Concurrency")]
    [InlineData("{\"Http\": ", "")]
    public void BadFile_NamesTheProblem(string json, string named)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, json);
            var ex = Assert.Throws<ServerConfigurationException>(() => ServerConfigurationLoader.Load(file, new Dictionary<string, string?>()));
            Assert.Contains(named, ex.Message, StringComparison.Ordinal);
            Assert.Contains("--config", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(64, 64)]
    [InlineData(2, 4)]
    public void BrokerConfig_KeepsAnIdleConnectionPerConcurrentDelivery(int concurrency, int idle)
    {
        // A smart host gets every delivery; a pool smaller than the concurrency closes connections after each message.
        var settings = ServerConfigurationLoader.Load(null, new Dictionary<string, string?>
        {
            ["MAILBROKER__DELIVERY__CONCURRENCY"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var config = SettingsBuilder.BrokerConfig(settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.Equal(idle, config.MaxIdleConnectionsPerHost);
    }

    [Fact]
    public void MissingFile_IsAnError()
    {
        var ex = Assert.Throws<ServerConfigurationException>(() => ServerConfigurationLoader.Load("/nonexistent/mailbroker.json", new Dictionary<string, string?>()));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Smtp_Defaults_AreTheLocalSubmissionPort()
    {
        var settings = ServerConfigurationLoader.Load(null, new Dictionary<string, string?>());
        Assert.False(settings.Smtp.IsDisabled);
        Assert.Equal(["127.0.0.1:2587"], settings.Smtp.StartTlsEndpoints);
        Assert.Empty(settings.Smtp.ImplicitTlsListen);
        Assert.Equal(25L * 1024 * 1024, settings.Smtp.MaxMessageSize);
    }

    [Fact]
    public void Smtp_ListenFromEnvironment_ReplacesTheDefault_AndNoneDisables()
    {
        var two = ServerConfigurationLoader.Load(null, new Dictionary<string, string?>
        {
            ["MAILBROKER__SMTP__LISTEN__0"] = "0.0.0.0:2587",
            ["MAILBROKER__SMTP__LISTEN__1"] = "[::1]:2587",
            ["MAILBROKER__SMTP__DATATIMEOUT"] = "00:00:30",
        });
        Assert.Equal(["0.0.0.0:2587", "[::1]:2587"], two.Smtp.StartTlsEndpoints);
        Assert.Equal(TimeSpan.FromSeconds(30), two.Smtp.DataTimeout);

        var none = ServerConfigurationLoader.Load(null, new Dictionary<string, string?> { ["MAILBROKER__SMTP__LISTEN__0"] = "none" });
        Assert.True(none.Smtp.IsDisabled);
    }

    [Fact]
    public void Smtp_ExampleFile_HasTheSection_WithPathsRelativeToTheFile()
    {
        string file = RepoFile("docs/mailbroker.example.json");
        var settings = ServerConfigurationLoader.Load(file, new Dictionary<string, string?>());
        Assert.Equal(["127.0.0.1:2587"], settings.Smtp.StartTlsEndpoints);
        Assert.Equal("/etc/mailbroker/tls/fullchain.pem", settings.Smtp.CertificatePath);
        Assert.Equal(10, settings.Smtp.MaxAuthFailures);

        string dir = Path.Combine(Path.GetTempPath(), "mm-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string config = Path.Combine(dir, "mailbroker.json");
            File.WriteAllText(config, """{ "Smtp": { "CertificatePath": "tls/cert.pem", "KeyPath": "tls/key.pem" } }""");
            var relative = ServerConfigurationLoader.Load(config, new Dictionary<string, string?>());
            Assert.Equal(Path.Combine(dir, "tls/cert.pem"), relative.Smtp.CertificatePath);
            Assert.Equal(Path.Combine(dir, "tls/key.pem"), relative.Smtp.KeyPath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
