using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>One message a <see cref="SmtpSink"/> accepted; <paramref name="Helo"/> is the client's EHLO/HELO name (which sender delivered it).</summary>
internal sealed record SinkMessage(string MailFrom, IReadOnlyList<string> Recipients, byte[] Data, string Helo = "")
{
    public string? Header(string name)
    {
        string text = Encoding.UTF8.GetString(Data);
        foreach (var line in text.Split("\r\n"))
        {
            if (line.Length == 0)
            {
                break;
            }
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }
        return null;
    }
}

/// <summary>A scripted SMTP server on 127.0.0.1:0: answers RCPT from a script (greylisting, rejects) and records what it accepts.</summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, int, string> _rcptReply;
    private readonly ConcurrentDictionary<string, int> _rcptAttempts = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly TimeSpan _acceptDelay;

    /// <param name="rcptReply">Recipient and 1-based RCPT count for it -> reply line; null accepts everyone with "250 2.1.5 Ok".</param>
    /// <param name="acceptDelay">How long the sink "commits" a message after the final dot before it records it and answers 250:
    /// widens the window in which a sender that dies has handed over a message it never heard accepted.</param>
    public SmtpSink(Func<string, int, string>? rcptReply = null, TimeSpan acceptDelay = default)
    {
        _rcptReply = rcptReply ?? ((_, _) => "250 2.1.5 Ok");
        _acceptDelay = acceptDelay;
        _listener.Start(512);
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<SinkMessage> Messages { get; } = new();

    public int RcptAttempts(string address) => _rcptAttempts.TryGetValue(address, out int n) ? n : 0;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new LineReader(stream);
            async Task Send(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), _stop.Token);
            await Send("220 sink.test ESMTP scripted sink");
            string from = "";
            string helo = "";
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        helo = line.Length > 5 ? line[5..].Trim() : "";
                        await Send("250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 104857600");
                        break;
                    case "HELO":
                        helo = line.Length > 5 ? line[5..].Trim() : "";
                        await Send("250 sink.test");
                        break;
                    case "MAIL":
                        from = Path(line);
                        recipients.Clear();
                        await Send("250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        string rcpt = Path(line);
                        int n = _rcptAttempts.AddOrUpdate(rcpt, 1, (_, c) => c + 1);
                        string reply = _rcptReply(rcpt, n);
                        if (reply.StartsWith('2'))
                        {
                            recipients.Add(rcpt);
                        }
                        await Send(reply);
                        break;
                    case "DATA":
                        if (recipients.Count == 0)
                        {
                            await Send("554 5.5.1 No valid recipients");
                            break;
                        }
                        await Send("354 End data with <CR><LF>.<CR><LF>");
                        var data = new MemoryStream();
                        bool complete = false;
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine)
                        {
                            if (dataLine == ".")
                            {
                                complete = true;
                                break;
                            }
                            string unstuffed = dataLine.StartsWith('.') ? dataLine[1..] : dataLine;
                            byte[] bytes = Encoding.UTF8.GetBytes(unstuffed + "\r\n");
                            data.Write(bytes);
                        }
                        if (!complete)
                        {
                            // The client died mid-DATA: a real server discards the partial message.
                            return;
                        }
                        if (_acceptDelay > TimeSpan.Zero)
                        {
                            await Task.Delay(_acceptDelay, _stop.Token);
                        }
                        // Recorded before the reply, as a real server commits before it answers: the sender may die before reading it.
                        Messages.Enqueue(new SinkMessage(from, recipients.ToList(), data.ToArray(), helo));
                        recipients.Clear();
                        await Send("250 2.0.0 Ok: queued");
                        break;
                    case "RSET":
                        recipients.Clear();
                        await Send("250 2.0.0 Ok");
                        break;
                    case "NOOP":
                        await Send("250 2.0.0 Ok");
                        break;
                    case "QUIT":
                        await Send("221 2.0.0 Bye");
                        return;
                    default:
                        await Send("502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (Exception)
        {
            // Client went away; the worker decides what that means.
        }
    }

    private static string Path(string line)
    {
        int open = line.IndexOf('<');
        int close = line.IndexOf('>', open + 1);
        return open >= 0 && close > open ? line[(open + 1)..close] : "";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }

    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[65536];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new MemoryStream();
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    line.Write(_buffer, _start, lf - _start);
                    _start = lf + 1;
                    var bytes = line.ToArray();
                    int length = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
                    return Encoding.UTF8.GetString(bytes, 0, length);
                }
                line.Write(_buffer, _start, _end - _start);
                _start = _end = 0;
                int read = await stream.ReadAsync(_buffer, cancellationToken);
                if (read == 0)
                {
                    return null;
                }
                _end = read;
            }
        }
    }
}
