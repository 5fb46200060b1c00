using System.Security.Cryptography;
using System.Text;
using DnsClient;
using DnsClient.Protocol;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Utils;
using NSec.Cryptography;
using Xunit;

namespace ModernMail.IntegrationTests.World;

/// <summary>Proves from .NET that the loopback test world answers as the contract says.</summary>
public sealed class TestWorldTests
{
    private static readonly LookupClient s_dns = new(new LookupClientOptions(TestWorld.DnsServer)
    {
        UseCache = false,
        Timeout = TimeSpan.FromSeconds(3),
        Retries = 1,
    });

    public TestWorldTests() => TestWorld.EnsureUp();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TestWorld.DomainA)]
    [InlineData(TestWorld.DomainB)]
    [InlineData(TestWorld.SenderDomain)]
    public async Task Dns_MailDomain_HasMxATestAt127001(string domain)
    {
        var mx = await QueryAsync(domain, QueryType.MX);

        var record = Assert.Single(mx.Answers.MxRecords());
        Assert.Equal(10, record.Preference);
        Assert.Equal("mx.a.test.", record.Exchange.Value);
        var a = await QueryAsync(TestWorld.MxHost, QueryType.A);
        Assert.Equal("127.0.0.1", Assert.Single(a.Answers.ARecords()).Address.ToString());
    }

    [Fact]
    public async Task Dns_ImplicitTest_HasAddressButNoMx()
    {
        var mx = await QueryAsync(TestWorld.ImplicitMxDomain, QueryType.MX);
        var a = await QueryAsync(TestWorld.ImplicitMxDomain, QueryType.A);

        Assert.Equal(DnsHeaderResponseCode.NoError, mx.Header.ResponseCode);
        Assert.Empty(mx.Answers.MxRecords());
        Assert.Equal("127.0.0.1", Assert.Single(a.Answers.ARecords()).Address.ToString());
    }

    [Fact]
    public async Task Dns_NullMxTest_HasNullMx()
    {
        var mx = await QueryAsync(TestWorld.NullMxDomain, QueryType.MX);

        var record = Assert.Single(mx.Answers.MxRecords());
        Assert.Equal(0, record.Preference);
        Assert.Equal(".", record.Exchange.Value);
    }

    [Fact]
    public async Task Dns_DeadFirstTest_HasDeadMxBeforeWorkingMx()
    {
        var mx = await QueryAsync(TestWorld.DeadFirstDomain, QueryType.MX);
        var dead = await QueryAsync(TestWorld.DeadMxHost, QueryType.A);

        var records = mx.Answers.MxRecords().OrderBy(r => r.Preference).Select(r => $"{r.Preference} {r.Exchange.Value}");
        Assert.Equal(["10 dead.deadfirst.test.", "20 mx.a.test."], records);
        Assert.Equal(TestWorld.DeadMxIp, Assert.Single(dead.Answers.ARecords()).Address);
    }

    [Fact]
    public async Task Dns_NoSuchTest_IsNxDomainFromAuthoritativeServer()
    {
        var mx = await QueryAsync(TestWorld.NoSuchDomain, QueryType.MX);

        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, mx.Header.ResponseCode);
        Assert.True(mx.Header.HasAuthorityAnswer);
    }

    [Fact]
    public async Task Dns_Loopback_PtrIsMxATest()
    {
        var ptr = await s_dns.QueryReverseAsync(System.Net.IPAddress.Loopback, Ct);

        Assert.Equal("mx.a.test.", Assert.Single(ptr.Answers.PtrRecords()).PtrDomainName.Value);
    }

    [Fact]
    public async Task Dns_SenderTest_PublishesSpfAndDmarc()
    {
        var spf = await QueryAsync(TestWorld.SenderDomain, QueryType.TXT);
        var dmarc = await QueryAsync("_dmarc." + TestWorld.SenderDomain, QueryType.TXT);

        Assert.Equal("v=spf1 ip4:127.0.0.0/8 -all", TxtValue(spf));
        Assert.Equal("v=DMARC1; p=reject; rua=mailto:dmarc@sender.test", TxtValue(dmarc));
    }

    [Fact]
    public async Task Dns_RsaSelector_PublishesCommittedRsaKeyInStringsOfAtMost255Bytes()
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(TestWorld.RsaKeyPath, Ct));
        var expected = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());

        var txt = await QueryAsync($"{TestWorld.RsaSelector}._domainkey.{TestWorld.SenderDomain}", QueryType.TXT);

        var record = Assert.Single(txt.Answers.TxtRecords());
        Assert.True(record.Text.Count > 1, "an RSA-2048 key record needs several strings");
        Assert.All(record.Text, s => Assert.InRange(Encoding.ASCII.GetByteCount(s), 1, 255));
        Assert.Equal(expected, string.Concat(record.Text));
    }

    [Fact]
    public async Task Dns_Ed25519Selector_PublishesRawCommittedPublicKey()
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519,
            Encoding.ASCII.GetBytes(await File.ReadAllTextAsync(TestWorld.Ed25519KeyPath, Ct)), KeyBlobFormat.PkixPrivateKeyText);
        var expected = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

        var txt = await QueryAsync($"{TestWorld.Ed25519Selector}._domainkey.{TestWorld.SenderDomain}", QueryType.TXT);

        Assert.Equal(expected, TxtValue(txt));
    }

    [Fact]
    public async Task Smtp_Ehlo_AdvertisesStartTlsThenSmtpUtf8And8BitMimeAnd50MiB()
    {
        using var client = NewSmtpClient();
        await client.ConnectAsync(TestWorld.MxAddress.Address.ToString(), TestWorld.MxAddress.Port, SecureSocketOptions.StartTls, Ct);

        Assert.True(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.UTF8));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime));
        Assert.Equal(50u * 1024 * 1024, client.MaxSize);
        await client.DisconnectAsync(quit: true, Ct);
    }

    [Fact]
    public async Task Smtp_StartTls_DeliversOnceIntoMaildirWithTlsReceived()
    {
        var rcpt = TestWorld.Unique("world");
        var message = NewMessage(rcpt, "plain " + rcpt);

        await SendAsync(message);
        var files = await TestWorld.WaitForMessagesAsync(rcpt, 1, TimeSpan.FromSeconds(30), Ct);
        await Task.Delay(500, Ct);

        var delivered = Assert.Single(TestWorld.GetMessages(rcpt));
        Assert.Equal(files[0], delivered);
        var parsed = MimeMessage.Load(new MemoryStream(TestWorld.ReadMessage(delivered)), Ct);
        Assert.Equal("plain " + rcpt, parsed.Subject);
        Assert.Equal(message.MessageId, parsed.MessageId);
        var received = parsed.Headers[HeaderId.Received];
        Assert.Contains("with ESMTPS", received, StringComparison.Ordinal);
        Assert.Contains("using TLS", received, StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(TestWorld.MailRoot, "a.test", rcpt[..rcpt.IndexOf('@')]), delivered, StringComparison.Ordinal);
        TestWorld.ClearMailbox(rcpt);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task Dkim_MimeKitRsaSignedMessage_GetsDkimPassFromOpenDkim()
    {
        var rcpt = TestWorld.Unique("dkim");
        var message = NewMessage(rcpt, "dkim " + rcpt);
        var signer = new DkimSigner(TestWorld.RsaKeyPath, TestWorld.SenderDomain, TestWorld.RsaSelector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);

        await SendAsync(message);
        var files = await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct);

        var results = AuthenticationResults(files[0]);
        Assert.Contains(results, r => r.Contains("dkim=pass", StringComparison.Ordinal) && r.Contains("header.d=sender.test", StringComparison.Ordinal));
        TestWorld.ClearMailbox(rcpt);
    }

    [Fact]
    public async Task Dkim_UnsignedMessage_GetsAuthenticationResultsWithoutPass()
    {
        var rcpt = TestWorld.Unique("nodkim");

        await SendAsync(NewMessage(rcpt, "unsigned"));
        var files = await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct);

        var result = Assert.Single(AuthenticationResults(files[0]));
        Assert.StartsWith("mx.a.test", result, StringComparison.Ordinal);
        Assert.DoesNotContain("dkim=pass", result, StringComparison.Ordinal);
        TestWorld.ClearMailbox(rcpt);
    }

    [Theory]
    [InlineData("reject", 550)]
    [InlineData("defer", 450)]
    public async Task Smtp_RejectOrDeferLocalPart_GetsThatReplyToRcpt(string prefix, int code)
    {
        var rcpt = TestWorld.Unique(prefix);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(NewMessage(rcpt, prefix)));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, error.ErrorCode);
        Assert.Equal(code, (int)error.StatusCode);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task WaitForMessages_NothingSent_TimesOutNamingTheMailbox()
    {
        var rcpt = TestWorld.Unique("never");

        var error = await Assert.ThrowsAsync<TimeoutException>(() => TestWorld.WaitForMessagesAsync(rcpt, 1, TimeSpan.FromMilliseconds(200), Ct));

        Assert.Contains(TestWorld.MailboxPath(rcpt), error.Message, StringComparison.Ordinal);
    }

    private static async Task<IDnsQueryResponse> QueryAsync(string name, QueryType type)
    {
        var response = await s_dns.QueryAsync(name, type, cancellationToken: Ct);
        Assert.True(response.Header.HasAuthorityAnswer, $"{name} {type}: answer is not authoritative");
        return response;
    }

    private static string TxtValue(IDnsQueryResponse response) => string.Concat(Assert.Single(response.Answers.TxtRecords()).Text);

    private static SmtpClient NewSmtpClient() => new()
    {
        LocalDomain = "client.test",
        ServerCertificateValidationCallback = (_, _, _, _) => true,
        Timeout = 30_000,
    };

    private static MimeMessage NewMessage(string rcpt, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("World Test", "world@" + TestWorld.SenderDomain));
        message.To.Add(MailboxAddress.Parse(rcpt));
        message.Subject = subject;
        message.MessageId = MimeUtils.GenerateMessageId(TestWorld.SenderDomain);
        message.Body = new TextPart("plain") { Text = "Hello from the test world.\r\n" };
        return message;
    }

    private static async Task SendAsync(MimeMessage message)
    {
        using var client = NewSmtpClient();
        await client.ConnectAsync(TestWorld.MxAddress.Address.ToString(), TestWorld.MxAddress.Port, SecureSocketOptions.StartTls, Ct);
        try
        {
            await client.SendAsync(message, Ct);
        }
        finally
        {
            await client.DisconnectAsync(quit: true, Ct);
        }
    }

    private static List<string> AuthenticationResults(string path)
    {
        var parsed = MimeMessage.Load(new MemoryStream(TestWorld.ReadMessage(path)), Ct);
        return parsed.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value.Trim()).ToList();
    }
}
