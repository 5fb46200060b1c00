using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModernMail.Tests.Delivery.Shaping;

/// <summary>A minimal SMTP receiver on loopback that counts what a sender's shaping must bound: connections open at once, messages
/// per connection, messages accepted and when; and answers 421 4.7.28 to MAIL while <see cref="Throttle"/> says so.</summary>
/// <remarks>A real MX does not throttle on demand, so this one is scripted; everything else is plain SMTP over TCP.</remarks>
internal sealed class CountingMx : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly Task _accept;
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _openByRemote = new(StringComparer.Ordinal);
    private int _open;

    public CountingMx()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Decides per MAIL command whether to answer 421 4.7.28 (argument: messages accepted so far).</summary>
    public Func<int, bool> Throttle { get; set; } = _ => false;

    /// <summary>How long each accepted message's final reply is delayed, so concurrent senders overlap.</summary>
    public TimeSpan Delay { get; set; }

    public int Connections { get; private set; }

    public int MaxOpen { get; private set; }

    public int MaxMessagesOnOneConnection { get; private set; }

    public int Accepted { get; private set; }

    public int Throttled { get; private set; }

    /// <summary>Per client address: the most connections it had open at once.</summary>
    public Dictionary<string, int> MaxOpenByRemote { get; } = new(StringComparer.Ordinal);

    /// <summary>Each EHLO: the client address and the name it greeted with.</summary>
    public List<(string Remote, string Helo)> Greetings { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            string remote = ((IPEndPoint)client.Client.RemoteEndPoint!).Address.ToString();
            lock (_lock)
            {
                Connections++;
                _open++;
                MaxOpen = Math.Max(MaxOpen, _open);
                _openByRemote[remote] = _openByRemote.GetValueOrDefault(remote) + 1;
                MaxOpenByRemote[remote] = Math.Max(MaxOpenByRemote.GetValueOrDefault(remote), _openByRemote[remote]);
                _sessions.Add(ServeAsync(client, remote));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, string remote)
    {
        int messages = 0;
        bool closed = false;
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                await writer.WriteLineAsync("220 counting.test ESMTP");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            lock (_lock)
                            {
                                Greetings.Add((remote, line.Length > 5 ? line[5..].Trim() : ""));
                            }
                            await writer.WriteAsync("250-counting.test\r\n250 PIPELINING\r\n");
                            break;
                        case "MAIL":
                            bool throttle;
                            lock (_lock)
                            {
                                throttle = Throttle(Accepted);
                                Throttled += throttle ? 1 : 0;
                            }
                            if (throttle)
                            {
                                // Counted closed before the reply: the sender may reconnect the moment it reads it.
                                Close(ref closed, remote);
                                await writer.WriteLineAsync("421 4.7.28 Our system has detected an unusual rate of mail; try again later");
                                return;
                            }
                            await writer.WriteLineAsync("250 2.1.0 Ok");
                            break;
                        case "RCPT":
                            await writer.WriteLineAsync("250 2.1.5 Ok");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 go ahead");
                            while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                            {
                            }
                            if (Delay > TimeSpan.Zero)
                            {
                                await Task.Delay(Delay, _stop.Token);
                            }
                            lock (_lock)
                            {
                                messages++;
                                Accepted++;
                                MaxMessagesOnOneConnection = Math.Max(MaxMessagesOnOneConnection, messages);
                            }
                            await writer.WriteLineAsync("250 2.0.0 Ok: queued");
                            break;
                        case "RSET":
                        case "NOOP":
                            await writer.WriteLineAsync("250 2.0.0 Ok");
                            break;
                        case "QUIT":
                            Close(ref closed, remote);
                            await writer.WriteLineAsync("221 2.0.0 Bye");
                            return;
                        default:
                            await writer.WriteLineAsync("502 5.5.2 Not implemented");
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The sender hung up, or the test ended.
        }
        finally
        {
            Close(ref closed, remote);
        }
    }

    private void Close(ref bool closed, string remote)
    {
        if (closed)
        {
            return;
        }
        closed = true;
        lock (_lock)
        {
            _open--;
            _openByRemote[remote]--;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions];
        }
        await Task.WhenAll(sessions).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
