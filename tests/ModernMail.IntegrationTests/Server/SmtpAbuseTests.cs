using MimeKit;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>What a hostile or broken SMTP client gets from a real <c>mailbroker serve</c>: a brute-forcing address is shut out,
/// a client that stalls mid-message is cut off, and neither costs anyone else their session.</summary>
public sealed class SmtpAbuseTests(SmtpFixture fixture) : IClassFixture<SmtpFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Port => fixture.Port;

    [Fact]
    public async Task TenBadLoginsFromOneAddress_Get421_ForThatAddressOnly()
    {
        // The attacker connects from its own loopback address, so the block can be told apart from everyone else (127.0.0.1).
        const string Attacker = "127.0.0.77";
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            source = ARGS[0]
            attempt = 0
            # Several connections, as a password-guessing client would: the count is per address, not per session.
            for connection in range(4):
                s = secure(connect(source))
                for _ in range(3):
                    attempt += 1
                    r = s.docmd('AUTH PLAIN ' + plain(USER, 'mm_guess%02d' % attempt))
                    show('attempt%d' % attempt, r)
                    if r[0] == 421:
                        break
                if r[0] == 421:
                    break
                s.quit()
            try:
                s = connect(source)
                show('reconnect', (250, b'not refused'))
            except smtplib.SMTPConnectError as e:
                print('reconnect', e.smtp_code, e.smtp_error.decode(), flush=True)
            """, Port, fixture.User, fixture.Secret, [Attacker], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        for (int i = 1; i <= 9; i++)
        {
            Assert.Contains($"attempt{i} 535 5.7.8", stdout, StringComparison.Ordinal);
        }
        Assert.Contains("attempt10 421 4.7.0", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt11", stdout, StringComparison.Ordinal);
        Assert.Contains("reconnect 421 4.7.0", stdout, StringComparison.Ordinal);

        // Everyone else still gets in, with the right secret.
        string rcpt = TestWorld.Unique("afterbrute");
        using var client = await SmtpClients.ConnectMailKitAsync(Port, Ct);
        await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);
        await client.SendAsync(SmtpClients.Message("ops@sender.test", rcpt, "after the brute force"), Ct);
        Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct));
    }

    [Fact]
    public async Task ClientStallingMidData_IsCutOffByTheDataTimeout_WhileOthersAreServed()
    {
        string stalled = TestWorld.Unique("stall");
        string other = TestWorld.Unique("notstalled");
        // The stalling client: half a message, then silence. It waits far longer than the server's DATA timeout (3 s).
        Task<(int ExitCode, string Stdout, string Stderr)> staller = SmtpClients.RunPythonAsync("""
            s = secure(connect()); s.login(USER, SECRET)
            show('mail', s.docmd('MAIL FROM:<ops@sender.test>'))
            show('rcpt', s.docmd('RCPT TO:<' + ARGS[0] + '>'))
            show('data', s.docmd('DATA'))
            s.send(b'From: ops@sender.test\r\nSubject: stalled\r\n\r\nhalf a mess')
            print('stalling', flush=True)
            s.sock.settimeout(60)
            try:
                show('cut', s.getreply())
            except smtplib.SMTPServerDisconnected:
                print('cut without reply', flush=True)
            """, Port, fixture.User, fixture.Secret, [stalled], cancellationToken: Ct);

        // Meanwhile another client submits normally.
        using (var client = await SmtpClients.ConnectMailKitAsync(Port, Ct))
        {
            await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);
            await client.SendAsync(SmtpClients.Message("ops@sender.test", other, "while another client stalls"), Ct);
            await client.DisconnectAsync(quit: true, Ct);
        }

        var (exit, stdout, stderr) = await staller;
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("data 354", stdout, StringComparison.Ordinal);
        Assert.Contains("cut 421 4.4.2", stdout, StringComparison.Ordinal);
        Assert.Single(await TestWorld.WaitForMessagesAsync(other, cancellationToken: Ct));
        // Half a message is never queued.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Empty(TestWorld.GetMessages(stalled));
        Assert.False(fixture.Server.HasExited);
    }

    [Fact]
    public async Task ManyConnectionsAtOnce_AreAllServed()
    {
        // Ten clients in parallel, each one message: sessions are independent of each other.
        var rcpts = Enumerable.Range(0, 10).Select(i => TestWorld.Unique($"par{i}")).ToList();
        await Task.WhenAll(rcpts.Select(async rcpt =>
        {
            using var client = await SmtpClients.ConnectMailKitAsync(Port, Ct);
            await client.AuthenticateAsync(fixture.User, fixture.Secret, Ct);
            await client.SendAsync(SmtpClients.Message("ops@sender.test", rcpt, "parallel " + rcpt), Ct);
            await client.DisconnectAsync(quit: true, Ct);
        }));
        foreach (string rcpt in rcpts)
        {
            Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct));
        }
    }
}
