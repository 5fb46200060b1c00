using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ModernMail.Tests.Delivery;

/// <summary>A tiny SMTP server on 127.0.0.x:0 that follows a script per connection, to produce faults real servers won't.</summary>
/// <remarks>Script lines: "S: text" sends a line; "C: prefix" reads a line and checks its start (case-insensitive);
/// "C!: prefix" also checks nothing else was sent yet (no pipelining); "BODY" reads message data up to "."; "TLS" does a
/// real server handshake; "RAW: text" writes text as is (\r \n escapes) in one write; "SLEEP ms" pauses; "STALL" stops
/// answering; "CLOSE" hangs up; "SERVE" hands the rest of the connection to a stateful <see cref="Conversation"/>.
/// After the script, QUIT is answered 221 and anything else is recorded as unexpected.</remarks>
internal sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private static readonly Lazy<X509Certificate2> s_certificate = new(CreateCertificate);
    private readonly TcpListener _listener;
    private readonly Queue<string[]> _scripts = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accept;

    public ScriptedSmtpServer(IPAddress? address = null, int port = 0)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    /// <summary>Creates the throwaway certificate now, so key generation does not eat into a client's handshake timeout.</summary>
    public static void WarmUpCertificate() => _ = s_certificate.Value;

    /// <summary>The self-signed certificate for scripted.test the server presents on TLS (a test may trust it as a root).</summary>
    public static X509Certificate2 Certificate => s_certificate.Value;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public List<string> Errors { get; } = [];

    public List<string> Commands { get; } = [];

    public List<string> Bodies { get; } = [];

    public int ConnectionCount { get; private set; }

    public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the conversation of each connection whose script says "SERVE".</summary>
    public Func<IScriptedConversation>? Conversation { get; set; }

    /// <summary>Adds the script for the next connection.</summary>
    public ScriptedSmtpServer Then(string script)
    {
        lock (_scripts)
        {
            _scripts.Enqueue(script.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        return this;
    }

    /// <summary>Adds a connection script that greets and answers EHLO with the given extensions.</summary>
    public static string Hello(params string[] extensions)
    {
        var text = new StringBuilder("S: 220 scripted.test ESMTP\nC: EHLO\n");
        if (extensions.Length == 0)
        {
            text.Append("S: 250 scripted.test\n");
        }
        else
        {
            text.Append("S: 250-scripted.test\n");
            for (int i = 0; i < extensions.Length; i++)
            {
                text.Append(i == extensions.Length - 1 ? "S: 250 " : "S: 250-").Append(extensions[i]).Append('\n');
            }
        }
        return text.ToString();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                string[]? script;
                lock (_scripts)
                {
                    ConnectionCount++;
                    _scripts.TryDequeue(out script);
                }
                lock (_connections)
                {
                    _connections.Add(RunAsync(client, script ?? ["S: 421 no script for this connection", "CLOSE"]));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(TcpClient client, string[] script)
    {
        using var _ = client;
        Stream stream = client.GetStream();
        var reader = new LineReader(stream);
        try
        {
            foreach (string step in script)
            {
                if (step.StartsWith("S: ", StringComparison.Ordinal))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(step[3..] + "\r\n"), _stop.Token);
                }
                else if (step.StartsWith("RAW: ", StringComparison.Ordinal))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(step[5..].Replace("\\r", "\r").Replace("\\n", "\n")), _stop.Token);
                }
                else if (step.StartsWith("C: ", StringComparison.Ordinal) || step.StartsWith("C!: ", StringComparison.Ordinal))
                {
                    bool lockstep = step[1] == '!';
                    string expected = step[(step.IndexOf(' ') + 1)..];
                    string? line = await reader.ReadLineAsync(_stop.Token);
                    if (line is null)
                    {
                        Fail($"expected \"{expected}\", connection closed");
                        return;
                    }
                    Record(line);
                    if (!line.StartsWith(expected, StringComparison.OrdinalIgnoreCase))
                    {
                        Fail($"expected \"{expected}\", got \"{line}\"");
                        return;
                    }
                    if (lockstep && (reader.Buffered > 0 || client.Available > 0))
                    {
                        Fail($"client pipelined after \"{line}\" although PIPELINING was not offered");
                        return;
                    }
                }
                else if (step == "BODY")
                {
                    if (!await ReadBodyAsync(reader))
                    {
                        Fail("connection closed in DATA");
                        return;
                    }
                }
                else if (step == "SERVE")
                {
                    await ServeAsync(stream, reader);
                    return;
                }
                else if (step.StartsWith("BODYPART ", StringComparison.Ordinal))
                {
                    // Read this many bytes of data, then carry on (used before CLOSE to drop mid-DATA).
                    await reader.ReadBytesAsync(int.Parse(step[9..]), _stop.Token);
                }
                else if (step == "TLS")
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = s_certificate.Value }, _stop.Token);
                    stream = tls;
                    reader = new LineReader(tls);
                }
                else if (step.StartsWith("SLEEP ", StringComparison.Ordinal))
                {
                    await Task.Delay(int.Parse(step[6..]), _stop.Token);
                }
                else if (step == "STALL")
                {
                    Stalled.TrySetResult();
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                else if (step == "CLOSE")
                {
                    client.Client.Shutdown(SocketShutdown.Both);
                    return;
                }
                else
                {
                    throw new InvalidOperationException("bad script step " + step);
                }
            }
            while (await reader.ReadLineAsync(_stop.Token) is { } extra)
            {
                Record(extra);
                if (extra.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase))
                {
                    await stream.WriteAsync("221 2.0.0 bye\r\n"u8.ToArray(), _stop.Token);
                    return;
                }
                Fail($"unexpected \"{extra}\" after the script");
                return;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Reads message data up to "." into <see cref="Bodies"/>; false when the connection closed first.</summary>
    private async Task<bool> ReadBodyAsync(LineReader reader)
    {
        var body = new StringBuilder();
        while (true)
        {
            string? line = await reader.ReadLineAsync(_stop.Token);
            if (line is null)
            {
                return false;
            }
            if (line == ".")
            {
                break;
            }
            body.Append(line).Append("\r\n");
        }
        lock (Bodies)
        {
            Bodies.Add(body.ToString());
        }
        return true;
    }

    /// <summary>Lets the conversation answer every line until it or the client hangs up; a client that gives up is no error here.</summary>
    private async Task ServeAsync(Stream stream, LineReader reader)
    {
        var conversation = Conversation?.Invoke() ?? throw new InvalidOperationException("SERVE needs a Conversation");
        string? answer = conversation.Answer("");
        while (answer is not null)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(answer), _stop.Token);
            if (conversation.StartsTls)
            {
                var tls = new SslStream(stream);
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = s_certificate.Value }, _stop.Token);
                }
                catch (System.Security.Authentication.AuthenticationException)
                {
                    return; // the client gave up on TLS (for example after seeing a reply out of turn)
                }
                stream = tls;
                reader = new LineReader(tls);
            }
            if (conversation.ExpectsBody)
            {
                if (!await ReadBodyAsync(reader))
                {
                    return;
                }
                answer = conversation.Answer(".");
                continue;
            }
            string? line = await reader.ReadLineAsync(_stop.Token);
            if (line is null)
            {
                return;
            }
            Record(line);
            answer = conversation.Answer(line);
        }
    }

    private void Record(string line)
    {
        lock (Commands)
        {
            Commands.Add(line);
        }
    }

    private void Fail(string message)
    {
        lock (Errors)
        {
            Errors.Add(message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        Task[] all;
        lock (_connections)
        {
            all = [.. _connections];
        }
        await Task.WhenAll(all);
        _stop.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=scripted.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("scripted.test");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Reads CRLF lines and raw bytes from a stream with its own buffer.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public int Buffered => _end - _start;

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    int length = lf - _start;
                    if (length > 0 && _buffer[lf - 1] == '\r')
                    {
                        length--;
                    }
                    string line = Encoding.UTF8.GetString(_buffer, _start, length);
                    _start = lf + 1;
                    return line;
                }
                if (!await FillAsync(ct))
                {
                    return null;
                }
            }
        }

        public async Task ReadBytesAsync(int count, CancellationToken ct)
        {
            while (Buffered < count)
            {
                if (!await FillAsync(ct))
                {
                    return;
                }
            }
            _start += count;
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                throw new InvalidOperationException("line too long for the scripted server");
            }
            int read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            _end += read;
            return read > 0;
        }
    }
}

/// <summary>The server side of one connection in "SERVE" mode.</summary>
internal interface IScriptedConversation
{
    /// <summary>True after an answer that asked for a message body (354): the next line the conversation sees is ".".</summary>
    bool ExpectsBody { get; }

    /// <summary>True after an answer that accepted STARTTLS: the server handshakes before reading the next line.</summary>
    bool StartsTls { get; }

    /// <summary>The bytes to send, in one write, in answer to <paramref name="line"/> ("" on connect, "." after a
    /// message body); null hangs up.</summary>
    string? Answer(string line);
}
