using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Listener settings of a real <c>mailbroker serve</c>: an implicit-TLS port (RFC 8314) with a PEM certificate from the
/// configuration, the connection limit, and the idle timeout.</summary>
public sealed class SmtpListenerTests : IAsyncLifetime
{
    private const int MaxConnections = 2;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-smtp-listen-" + Guid.NewGuid().ToString("N"));
    private ServeProcess _server = null!; // Set in InitializeAsync.
    private string _secret = "";
    private string _fingerprint = "";
    private int _implicitPort;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "tls"));
        using (RSA key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=smtp.sender.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(_directory, "tls", "cert.pem"), certificate.ExportCertificatePem(), Ct);
            await File.WriteAllTextAsync(Path.Combine(_directory, "tls", "key.pem"), key.ExportPkcs8PrivateKeyPem(), Ct);
            _fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        }
        int smtpPort = ServeProcess.FreePort(28100, 50);
        do
        {
            _implicitPort = ServeProcess.FreePort(28100, 50);
        }
        while (_implicitPort == smtpPort);
        string config = Path.Combine(_directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
            Smtp = new
            {
                ImplicitTlsListen = new[] { $"127.0.0.1:{_implicitPort}" },
                CertificatePath = "tls/cert.pem", // relative to the configuration file
                KeyPath = "tls/key.pem",
                MaxConnections,
                CommandTimeout = "00:00:05",
            },
        }), Ct);
        _server = await SmtpFixture.StartAsync(_directory, ["--config", config], smtpPort: smtpPort);
        Assert.Contains($"127.0.0.1:{_implicitPort} (implicit TLS)", _server.Stderr, StringComparison.Ordinal);
        _secret = await _server.CreateKeyAsync("listen", TestWorld.SenderDomain);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task ImplicitTls_OffersTheConfiguredCertificate_AndAccepts()
    {
        string rcpt = TestWorld.Unique("implicit");
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            import hashlib
            s = smtplib.SMTP_SSL('127.0.0.1', int(ARGS[0]), timeout=30, context=context())
            s.ehlo()
            print('cert', hashlib.sha256(s.sock.getpeercert(binary_form=True)).hexdigest(), flush=True)
            print('starttls offered', s.has_extn('starttls'), flush=True)
            s.login(USER, SECRET)
            msg = f'From: ops@sender.test\r\nTo: {ARGS[1]}\r\nSubject: implicit tls\r\n\r\nbody\r\n'.encode()
            print('refused', s.sendmail('ops@sender.test', [ARGS[1]], msg), flush=True)
            s.quit()
            """, _server.SmtpPort, "listen", _secret, [_implicitPort.ToString(System.Globalization.CultureInfo.InvariantCulture), rcpt], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("cert " + _fingerprint, stdout, StringComparison.Ordinal);
        Assert.Contains("starttls offered False", stdout, StringComparison.Ordinal);
        Assert.Contains("refused {}", stdout, StringComparison.Ordinal);
        string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
        Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartTls_OffersTheConfiguredCertificate()
    {
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            import hashlib
            s = secure(connect())
            print('cert', hashlib.sha256(s.sock.getpeercert(binary_form=True)).hexdigest(), flush=True)
            s.quit()
            """, _server.SmtpPort, "listen", _secret, cancellationToken: Ct);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("cert " + _fingerprint, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverTheConnectionLimit_Gets421_AndAFreedSlotIsUsedAgain()
    {
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            held = []
            for i in range(int(ARGS[0])):
                c = socket.create_connection(('127.0.0.1', PORT), timeout=30)
                print('held', c.recv(512).decode().strip(), flush=True)
                held.append(c)
            extra = socket.create_connection(('127.0.0.1', PORT), timeout=30)
            print('extra', extra.recv(512).decode().strip(), flush=True)
            print('extra then', extra.recv(512), flush=True)
            held[0].sendall(b'QUIT\r\n'); print('quit', held[0].recv(512).decode().strip(), flush=True)
            held[0].recv(512); held[0].close()
            # The slot frees once the server has closed its side too; until then a new connection may still get 421.
            for attempt in range(50):
                try:
                    s = connect()
                    break
                except smtplib.SMTPConnectError as e:
                    time.sleep(0.2)
            show('again', s.noop())
            s.quit()
            """, _server.SmtpPort, "listen", _secret, [MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal(MaxConnections, stdout.Split('\n').Count(l => l.StartsWith("held 220 ", StringComparison.Ordinal)));
        Assert.Contains("extra 421 4.3.2", stdout, StringComparison.Ordinal);
        Assert.Contains("extra then b''", stdout, StringComparison.Ordinal);
        Assert.Contains("quit 221 2.0.0", stdout, StringComparison.Ordinal);
        Assert.Contains("again 250 2.0.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentClient_IsDisconnectedByTheCommandTimeout()
    {
        var (exit, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            c = socket.create_connection(('127.0.0.1', PORT), timeout=60)
            f = c.makefile('rb')
            print('greeting', f.readline().decode().strip(), flush=True)
            # Say nothing; the server's command timeout is 5 s, ours 60 s.
            print('then', f.readline().decode().strip(), flush=True)
            print('eof', f.readline() == b'', flush=True)
            """, _server.SmtpPort, "listen", _secret, cancellationToken: Ct);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("greeting 220 ", stdout, StringComparison.Ordinal);
        Assert.Contains("then 421 4.4.2", stdout, StringComparison.Ordinal);
        Assert.Contains("eof True", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_TellsAWaitingClient421_AndExitsCleanly()
    {
        string ready = Path.Combine(_directory, "client-ready");
        var client = SmtpClients.RunPythonAsync("""
            s = secure(connect()); s.login(USER, SECRET)
            open(ARGS[0], 'w').close()
            s.sock.settimeout(60)
            # Wait for the server to speak first: it does so only when it shuts down.
            show('unasked', s.getreply())
            """, _server.SmtpPort, "listen", _secret, [ready], cancellationToken: Ct);
        while (!File.Exists(ready))
        {
            Assert.False(client.IsCompleted, "the client ended before it was logged in");
            await Task.Delay(50, Ct);
        }

        Assert.Equal(0, await _server.TerminateAsync(TimeSpan.FromSeconds(40)));
        var (exit, stdout, stderr) = await client;
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("unasked 421 4.3.2", stdout, StringComparison.Ordinal);
    }
}
