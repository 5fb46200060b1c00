using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModernMail.IntegrationTests.Server;

/// <summary>A webhook receiver on loopback (Kestrel), as a team would write one: it checks the signature the way any language
/// can (HMAC-SHA256 over "t.body"), records every POST, and answers what the test tells it to.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Received> _received = [];

    /// <summary>One POST as it arrived.</summary>
    public sealed record Received(string? Signature, bool SignatureValid, string? EventIdHeader, int Answered, JsonElement Event, string Body);

    private WebhookReceiver(WebApplication app, int port, string secret)
    {
        _app = app;
        Port = port;
        Secret = secret;
    }

    public int Port { get; }

    public string Secret { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks?token=not-logged";

    /// <summary>The status every POST is answered with (200 to accept).</summary>
    public int Answer { get; set; } = 200;

    /// <summary>How many of the next POSTs get 500 before <see cref="Answer"/> applies again.</summary>
    public int FailNext { get; set; }

    public IReadOnlyList<Received> All { get { lock (_received) { return _received.ToList(); } } }

    /// <summary>The events the receiver accepted (answered 2xx), in arrival order.</summary>
    public IReadOnlyList<Received> Accepted => All.Where(r => r.Answered is >= 200 and < 300).ToList();

    public static async Task<WebhookReceiver> StartAsync(int port, string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, port, secret);
        app.MapPost("/hooks", receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Whether <paramref name="header"/> ("t=...,v1=...") is the HMAC of "t.body" with <paramref name="secret"/>.</summary>
    public static bool Check(string secret, string? header, byte[] body)
    {
        if (header is null)
        {
            return false;
        }
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out string? t) || !parts.TryGetValue("v1", out string? v1))
        {
            return false;
        }
        byte[] signed = [.. Encoding.ASCII.GetBytes(t + "."), .. body];
        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        bool fresh = Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(t, System.Globalization.CultureInfo.InvariantCulture)) < 300;
        return fresh && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    /// <summary>Waits until the accepted events include every (message, type) pair asked for.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!done(Accepted))
        {
            if (started.Elapsed > timeout)
            {
                throw new TimeoutException($"The webhook receiver did not get what the test waits for within {timeout}; it got:\n" +
                    string.Join("\n", All.Select(r => $"{r.Answered} {r.Body}")));
            }
            await Task.Delay(100, cancellationToken);
        }
        return Accepted;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        string? signature = context.Request.Headers["ModernMail-Signature"];
        int status;
        lock (_received)
        {
            status = FailNext > 0 ? 500 : Answer;
            if (FailNext > 0)
            {
                FailNext--;
            }
            using var document = JsonDocument.Parse(body);
            _received.Add(new Received(signature, Check(Secret, signature, body), context.Request.Headers["ModernMail-Event-Id"],
                status, document.RootElement.Clone(), Encoding.UTF8.GetString(body)));
        }
        context.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
