using MailKit.Net.Smtp;
using MailKit.Security;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>SMTP submission into a real <c>mailbroker serve</c> process with MailKit and Python's smtplib; delivery checked in Postfix's Maildirs.</summary>
public sealed class SmtpSubmissionTests(SmtpFixture fixture) : IClassFixture<SmtpFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Port => fixture.Port;

    [Fact]
    public async Task MailKit_StartTlsAuth_Gets250_AndArrivesDkimSigned()
    {
        string rcpt = TestWorld.Unique("smtp");
        using var client = await SmtpClients.ConnectMailKitAsync(Port, Ct);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EnhancedStatusCodes));
        Assert.Equal(SmtpFixture.MaxMessageSize, (int)client.MaxSize);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        Assert.Contains("LOGIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);

        string reply = await client.SendAsync(SmtpClients.Message("Ops <ops@sender.test>", rcpt, "Hello over SMTP", "first line\r\n.leading dot\r\n"), Ct);
        await client.DisconnectAsync(quit: true, Ct);

        Assert.StartsWith("2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
        Assert.Contains("Subject: Hello over SMTP", delivered, StringComparison.Ordinal);
        Assert.Contains("\n.leading dot\n", delivered, StringComparison.Ordinal);
        // Signed by the server for sender.test and verified by the world's MX against the published key.
        Assert.Contains("dkim=pass header.d=sender.test", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Python_AuthLogin_TwoMessagesInOneSession_BothArrive()
    {
        string first = TestWorld.Unique("smtpy");
        string second = TestWorld.Unique("smtpy");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect())
            s.user, s.password = USER, SECRET
            show('auth', s.auth('LOGIN', s.auth_login, initial_response_ok=False))
            for rcpt in ARGS:
                msg = f'From: ops@sender.test\r\nTo: {rcpt}\r\nSubject: python {rcpt}\r\n\r\nbody for {rcpt}\r\n'.encode()
                print('refused', s.sendmail('ops@sender.test', [rcpt], msg), flush=True)
            s.quit()
            """, Port, fixture.User, fixture.Secret, [first, second], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("auth 235 2.7.0", stdout, StringComparison.Ordinal);
        foreach (string rcpt in (string[])[first, second])
        {
            string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
            Assert.Contains($"Subject: python {rcpt}", delivered, StringComparison.Ordinal);
            Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
            // The script sent neither Date nor Message-ID: the server added them (RFC 6409 §8), before signing.
            Assert.Matches(@"\nMessage-ID: <[0-9a-f]{32}@mx\.sender\.test>\n", delivered);
            Assert.Contains("\nDate: ", delivered, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UnsubscribeHeader_OneSignedCopyPerRecipient_WithItsOwnListUnsubscribe()
    {
        string first = TestWorld.Unique("smtpunsub");
        string second = TestWorld.Unique("smtpunsub");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect())
            s.login(USER, SECRET)
            msg = f'From: news@sender.test\r\nTo: {ARGS[0]}, {ARGS[1]}\r\nSubject: smtp news\r\nX-ModernMail-Unsubscribe: one-click\r\n\r\nnews\r\n'.encode()
            code, text = s.mail('news@sender.test')
            for rcpt in ARGS:
                s.rcpt(rcpt)
            show('data', s.data(msg))
            bad = msg.replace(b'one-click', b'two-clicks')
            s.mail('news@sender.test'); s.rcpt(ARGS[0])
            show('bad', s.data(bad))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [first, second], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("data 250 2.0.0 Ok: queued as ", stdout, StringComparison.Ordinal);
        Assert.Contains("and 1 more copies", stdout, StringComparison.Ordinal);
        Assert.Contains("bad 554 5.6.0 X-ModernMail-Unsubscribe", stdout, StringComparison.Ordinal);
        var tokens = new HashSet<string>();
        foreach (string rcpt in (string[])[first, second])
        {
            string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
            var link = System.Text.RegularExpressions.Regex.Match(delivered, @"List-Unsubscribe: <http://127\.0\.0\.1:\d+/u/(?<token>[^>]+)>");
            Assert.True(link.Success, delivered);
            tokens.Add(link.Groups["token"].Value);
            Assert.Contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click", delivered, StringComparison.Ordinal);
            Assert.DoesNotContain("X-ModernMail-Unsubscribe", delivered, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
        }
        Assert.Equal(2, tokens.Count);
    }

    [Fact]
    public async Task NoAuth_OpenRelayAttempt_MailAndRcptGet530_BeforeAndAfterTls()
    {
        string rcpt = TestWorld.Unique("relay");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            show('mail', s.docmd('MAIL FROM:<someone@elsewhere.test>'))
            show('rcpt', s.docmd('RCPT TO:<' + ARGS[0] + '>'))
            show('data', s.docmd('DATA'))
            secure(s)
            show('mail-tls', s.docmd('MAIL FROM:<ops@sender.test>'))
            show('rcpt-tls', s.docmd('RCPT TO:<' + ARGS[0] + '>'))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [rcpt], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("mail 530 5.7.0", stdout, StringComparison.Ordinal);
        Assert.Contains("rcpt 530 5.7.0", stdout, StringComparison.Ordinal);
        Assert.Contains("data 530 5.7.0", stdout, StringComparison.Ordinal);
        Assert.Contains("mail-tls 530 5.7.0", stdout, StringComparison.Ordinal);
        Assert.Contains("rcpt-tls 530 5.7.0", stdout, StringComparison.Ordinal);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task AuthBeforeStartTls_NotOffered_AndRefused538_EvenWithTheRightSecret()
    {
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            print('offered', s.has_extn('auth'), flush=True)
            show('plain', s.docmd('AUTH PLAIN ' + plain(USER, SECRET)))
            show('login', s.docmd('AUTH LOGIN'))
            show('mail', s.docmd('MAIL FROM:<ops@sender.test>'))
            s.quit()
            """, Port, fixture.User, fixture.Secret, cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("offered False", stdout, StringComparison.Ordinal);
        Assert.Contains("plain 538 5.7.11", stdout, StringComparison.Ordinal);
        Assert.Contains("login 538 5.7.11", stdout, StringComparison.Ordinal);
        Assert.Contains("mail 530 5.7.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_Gets535()
    {
        using var client = await SmtpClients.ConnectMailKitAsync(Port, Ct);
        // The right shape of secret, one character off.
        string wrong = fixture.Secret[..^1] + (fixture.Secret[^1] == 'A' ? 'B' : 'A');
        var ex = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(fixture.User, wrong, Ct));
        Assert.Contains("credentials invalid", ex.Message, StringComparison.OrdinalIgnoreCase);

        // The right secret with another key's name is refused too.
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect())
            show('wrong-user', s.docmd('AUTH PLAIN ' + plain('someone-else', SECRET)))
            show('wrong-secret', s.docmd('AUTH PLAIN ' + plain(USER, ARGS[0])))
            show('right', s.docmd('AUTH PLAIN ' + plain(USER, SECRET)))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [wrong], cancellationToken: Ct);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("wrong-user 535 5.7.8", stdout, StringComparison.Ordinal);
        Assert.Contains("wrong-secret 535 5.7.8", stdout, StringComparison.Ordinal);
        Assert.Contains("right 235 2.7.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedKey_Gets535()
    {
        var (user, secret) = fixture.Revoked;
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect())
            try:
                s.login(USER, SECRET)
                print('login ok', flush=True)
            except smtplib.SMTPAuthenticationError as e:
                print('login', e.smtp_code, e.smtp_error.decode(), flush=True)
            s.quit()
            """, Port, user, secret, cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("login 535 5.7.8", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForeignSenderDomain_Gets550_571_InMailFromAndInTheFromHeader()
    {
        string rcpt = TestWorld.Unique("foreign");
        using (var client = await SmtpClients.ConnectMailKitAsync(Port, Ct))
        {
            await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);
            var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(SmtpClients.Message("ceo@b.test", rcpt, "spoof"), Ct));
            Assert.Equal(SmtpErrorCode.SenderNotAccepted, ex.ErrorCode);
            Assert.Equal(550, (int)ex.StatusCode);
            Assert.Contains("may not send from b.test", ex.Message, StringComparison.Ordinal);
        }

        // An allowed envelope sender does not make a foreign header From acceptable.
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect()); s.login(USER, SECRET)
            show('mail', s.docmd('MAIL FROM:<ops@sender.test>'))
            show('rcpt', s.docmd('RCPT TO:<' + ARGS[0] + '>'))
            show('data', s.docmd('DATA'))
            s.send(('From: ceo@b.test\r\nTo: ' + ARGS[0] + '\r\nSubject: spoof\r\n\r\nbody\r\n.\r\n').encode())
            show('dot', s.getreply())
            s.quit()
            """, Port, fixture.User, fixture.Secret, [rcpt], cancellationToken: Ct);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("mail 250 2.1.0", stdout, StringComparison.Ordinal);
        Assert.Contains("dot 550 5.7.1", stdout, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task OverSize_Gets552_534_AtMailWithSize_AndAfterDataWithout_AndTheSessionGoesOn()
    {
        string rcpt = TestWorld.Unique("big");
        string big = new string('x', 76) + "\r\n";
        string body = string.Concat(Enumerable.Repeat(big, SmtpFixture.MaxMessageSize / big.Length + 10));
        using (var client = await SmtpClients.ConnectMailKitAsync(Port, Ct))
        {
            await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);
            // MailKit announces SIZE=<n> in MAIL FROM (RFC 1870), so the server refuses before any byte of content.
            var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(SmtpClients.Message("ops@sender.test", rcpt, "too big", body), Ct));
            Assert.Equal(552, (int)ex.StatusCode);
        }

        // A client that does not announce the size is read to the end, then refused; the connection stays usable.
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect()); s.login(USER, SECRET)
            show('mail', s.docmd('MAIL FROM:<ops@sender.test>'))
            show('rcpt', s.docmd('RCPT TO:<' + ARGS[0] + '>'))
            show('data', s.docmd('DATA'))
            line = 'y' * 998 + '\r\n'
            s.send(('From: ops@sender.test\r\nSubject: big\r\n\r\n' + line * 100 + '.\r\n').encode())
            show('dot', s.getreply())
            show('noop', s.docmd('NOOP'))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [rcpt], cancellationToken: Ct);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("data 354", stdout, StringComparison.Ordinal);
        Assert.Contains("dot 552 5.3.4", stdout, StringComparison.Ordinal);
        Assert.Contains("noop 250 2.0.0", stdout, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }

    [Fact]
    public async Task InvalidContentAndAddresses_GetTheNamedErrors_AsSmtpReplies()
    {
        string rcpt = TestWorld.Unique("bad");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = secure(connect()); s.login(USER, SECRET)
            show('mail-syntax', s.docmd('MAIL FROM:ops@sender.test'))
            show('mail-param', s.docmd('MAIL FROM:<ops@sender.test> FOO=1'))
            show('mail', s.docmd('MAIL FROM:<ops@sender.test> BODY=8BITMIME'))
            show('rcpt-bad', s.docmd('RCPT TO:<not an address>'))
            for i in range(6):
                show('rcpt%d' % i, s.docmd('RCPT TO:<r%d-%s>' % (i, ARGS[0])))
            show('data', s.docmd('DATA'))
            # No From header: the same refusal as the HTTP API's raw messages, as 554 5.6.0.
            s.send(b'Subject: no from\r\n\r\nbody\r\n.\r\n')
            show('dot', s.getreply())
            show('data-again', s.docmd('DATA'))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [rcpt], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("mail-syntax 501 5.5.4", stdout, StringComparison.Ordinal);
        Assert.Contains("mail-param 555 5.5.4", stdout, StringComparison.Ordinal);
        Assert.Contains("mail 250 2.1.0", stdout, StringComparison.Ordinal);
        Assert.Contains("rcpt-bad 553 5.1.3", stdout, StringComparison.Ordinal);
        Assert.Contains("rcpt4 250 2.1.5", stdout, StringComparison.Ordinal);
        Assert.Contains("rcpt5 452 4.5.3", stdout, StringComparison.Ordinal); // SmtpFixture.MaxRecipients = 5
        Assert.Contains("dot 554 5.6.0 The message has no From header field.", stdout, StringComparison.Ordinal);
        Assert.Contains("data-again 503 5.5.1", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverlongCommandLine_Gets500_AndTheConnectionIsClosed()
    {
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            s.send(b'NOOP ' + b'a' * 10000 + b'\r\n')
            show('long', s.getreply())
            try:
                show('after', s.docmd('NOOP'))
            except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
                print('closed', flush=True)
            """, Port, fixture.User, fixture.Secret, cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("long 500 5.5.2 Line too long", stdout, StringComparison.Ordinal);
        Assert.Contains("closed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Python_MailFromRequireTls_IsAdvertisedAfterTls_AndCarriedToDelivery()
    {
        string rcpt = TestWorld.Unique("smtpreqtls");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            print('before', s.has_extn('requiretls'), flush=True)
            s = secure(s)
            print('after', s.has_extn('requiretls'), flush=True)
            s.login(USER, SECRET)
            show('mail', s.mail('ops@sender.test', ['REQUIRETLS']))
            show('rcpt', s.rcpt(ARGS[0]))
            show('data', s.data(f'From: ops@sender.test\r\nTo: {ARGS[0]}\r\nSubject: requiretls\r\n\r\nx\r\n'.encode()))
            s.quit()
            """, Port, fixture.User, fixture.Secret, [rcpt], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("before False", stdout, StringComparison.Ordinal);
        Assert.Contains("after True", stdout, StringComparison.Ordinal);
        Assert.Contains("mail 250", stdout, StringComparison.Ordinal);
        string id = System.Text.RegularExpressions.Regex.Match(stdout, "queued as ([0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(id);

        // The world's Postfix has an untrusted certificate and no REQUIRETLS: the worker must not hand the message to it.
        using var http = fixture.Server.Client(fixture.Secret);
        string? lastReply = null;
        for (int i = 0; i < 300 && lastReply is null; i++)
        {
            using var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/v1/messages/{id}", Ct));
            var recipient = status.RootElement.GetProperty("recipients")[0];
            if (recipient.GetProperty("attempts").GetInt32() >= 1)
            {
                Assert.NotEqual("delivered", recipient.GetProperty("status").GetString());
                lastReply = recipient.GetProperty("lastReply").GetString();
            }
            else
            {
                await Task.Delay(100, Ct);
            }
        }
        Assert.Contains("REQUIRETLS", lastReply, StringComparison.Ordinal);
        Assert.Empty(TestWorld.GetMessages(rcpt));
    }
}
