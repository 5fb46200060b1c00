using System.Security.Cryptography;
using System.Text;
using ModernMail.Server.Configuration;
using ModernMail.Server.Webhooks;
using Xunit;

namespace ModernMail.Tests.Server.Webhooks;

public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec-0123456789abcdef";
    private static readonly DateTimeOffset s_now = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("{\"id\":\"42\",\"type\":\"delivered\"}");

    [Fact]
    public void Header_IsTimeAndHexHmacOfTimeDotBody()
    {
        string header = WebhookSignature.Compute(Secret, s_now, s_body);
        // The same arithmetic a receiver in any language does.
        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), (byte[])[.. Encoding.ASCII.GetBytes("1780000000."), .. s_body]));
        Assert.Equal("t=1780000000,v1=" + expected, header);
        Assert.True(WebhookSignature.Verify(Secret, header, s_body, s_now.AddSeconds(30), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Verify_RefusesChangedBodiesOtherSecretsReplaysAndGarbage()
    {
        string header = WebhookSignature.Compute(Secret, s_now, s_body);
        byte[] changed = (byte[])s_body.Clone();
        changed[5] ^= 1;
        Assert.False(WebhookSignature.Verify(Secret, header, changed, s_now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret + "x", header, s_body, s_now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, header, s_body, s_now.AddMinutes(6), TimeSpan.FromMinutes(5))); // a replay, later
        Assert.False(WebhookSignature.Verify(Secret, header.Replace("t=1780000000", "t=1780000001", StringComparison.Ordinal), s_body, s_now, TimeSpan.FromMinutes(5)));
        foreach (string? garbage in new[] { null, "", "t=,v1=", "v1=00", "t=1780000000", "t=1780000000,v1=zz" + new string('0', 62), "t=-5,v1=" + new string('0', 64) })
        {
            Assert.False(WebhookSignature.Verify(Secret, garbage, s_body, s_now, TimeSpan.FromMinutes(5)));
        }
    }

    [Theory]
    [InlineData("ftp://example.test/hook", "whsec-0123456789abcdef", "Url")]
    [InlineData("/relative", "whsec-0123456789abcdef", "Url")]
    [InlineData("https://example.test/hook", "short", "Secret")]
    public void BadWebhookSettings_NameTheKey(string url, string secret, string key)
    {
        var settings = new MailServerSettings { Webhooks = { new WebhookSettings { Url = url, Secret = secret } } };
        var ex = Assert.Throws<ServerConfigurationException>(() => SettingsBuilder.Webhooks(settings));
        Assert.Contains("Webhooks:0:" + key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEventType_AndTheSameUrlTwice_AreRefused()
    {
        var typo = new MailServerSettings { Webhooks = { new WebhookSettings { Url = "https://a.test/h", Secret = Secret, Events = { "deliverd" } } } };
        Assert.Contains("\"deliverd\"", Assert.Throws<ServerConfigurationException>(() => SettingsBuilder.Webhooks(typo)).Message, StringComparison.Ordinal);
        var twice = new MailServerSettings
        {
            Webhooks = { new WebhookSettings { Url = "https://a.test/h", Secret = Secret }, new WebhookSettings { Url = "https://a.test/h", Secret = Secret } },
        };
        Assert.Contains("Webhooks:1:Url", Assert.Throws<ServerConfigurationException>(() => SettingsBuilder.Webhooks(twice)).Message, StringComparison.Ordinal);
        var fine = new MailServerSettings { Webhooks = { new WebhookSettings { Url = "https://a.test/h", Secret = Secret, Events = { "Bounced", "complained" } } } };
        Assert.Single(SettingsBuilder.Webhooks(fine));
    }
}
