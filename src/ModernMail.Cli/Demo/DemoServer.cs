using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.Net;

namespace ModernMail.Cli.Demo;

/// <summary>An in-process receiving MX on 127.0.0.1 (a port the OS picks) offering STARTTLS, built on the SmtpServer package.</summary>
internal sealed class DemoServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop;
    private readonly Task _running;

    private DemoServer(SmtpServer.SmtpServer server, CancellationTokenSource stop, Task running, IPEndPoint endPoint, MaildropStore store)
    {
        _server = server;
        _stop = stop;
        _running = running;
        EndPoint = endPoint;
        Store = store;
    }

    public IPEndPoint EndPoint { get; }

    public MaildropStore Store { get; }

    public static async Task<DemoServer> StartAsync(string hostName, X509Certificate2 certificate, string directory, CancellationToken cancellationToken)
    {
        var store = new MaildropStore(directory);
        var listeners = new EndpointListenerFactory();
        var started = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, e) =>
        {
            if (e.LocalEndPoint is IPEndPoint local)
            {
                started.TrySetResult(local);
            }
        };

        ISmtpServerOptions options = new SmtpServerOptionsBuilder()
            .ServerName(hostName)
            .Endpoint(endpoint => endpoint
                .Endpoint(new IPEndPoint(IPAddress.Loopback, 0))
                .IsSecure(false)
                .Certificate(certificate)
                .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(store);
        services.Add(listeners);

        var server = new SmtpServer.SmtpServer(options, services);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task running = server.StartAsync(stop.Token);
        Task first = await Task.WhenAny(started.Task, running, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
        if (first != started.Task)
        {
            await stop.CancelAsync();
            stop.Dispose();
            await first; // Surfaces the listener's exception, or the caller's cancellation.
            throw new InvalidOperationException("The demo SMTP server did not start listening within 10 seconds.");
        }

        return new DemoServer(server, stop, running, await started.Task, store);
    }

    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Stopping is what we asked for.
        }

        _stop.Dispose();
    }
}
