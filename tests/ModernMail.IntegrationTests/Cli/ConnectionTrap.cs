using System.Net;
using System.Net.Sockets;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>
/// A listener on 127.0.0.1:0 that counts connections and never answers: route a command's mail here to prove
/// that it sent nothing (invalid input) or to make a delivery hang (cancellation).
/// </summary>
public sealed class ConnectionTrap : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public ConnectionTrap()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A --route value that sends every domain here.</summary>
    public string SmartHostRoute => $"*=127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            foreach (Socket socket in _accepted)
            {
                socket.Dispose();
            }
        }

        try
        {
            _accepting.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            lock (_accepted)
            {
                _accepted.Add(socket);
            }
        }
    }
}
