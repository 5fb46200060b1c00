using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ModernMail.Tests.Tls;

/// <summary>A real HTTPS server (Kestrel on loopback) serving /.well-known/mta-sts.txt, with what it answers settable per test.</summary>
internal sealed class PolicyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private PolicyServer(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>How many policy requests arrived.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public string Body { get; set; } = "";

    /// <summary>Bodies by request host (mta-sts.DOMAIN), for one server serving several policy domains; others get <see cref="Body"/>.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> BodiesByHost { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string ContentType { get; set; } = "text/plain";

    public int Status { get; set; } = 200;

    public string? RedirectTo { get; set; }

    public static async Task<PolicyServer> StartAsync(X509Certificate2 certificate, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            o.UseHttps(certificate);
        }));
        var app = builder.Build();
        var server = new PolicyServer(app);
        app.MapGet("/.well-known/mta-sts.txt", (HttpContext context) =>
        {
            Interlocked.Increment(ref server._requests);
            if (server.RedirectTo is { } target)
            {
                return Results.Redirect(target);
            }
            string body = server.BodiesByHost.TryGetValue(context.Request.Host.Host, out var byHost) ? byHost : server.Body;
            return Results.Text(body, server.ContentType, statusCode: server.Status);
        });
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
