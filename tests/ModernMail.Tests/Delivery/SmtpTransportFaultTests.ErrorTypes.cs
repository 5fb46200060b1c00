using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Each failure carries the exception type of the caller's decision (issue 10): a refused connect is not
/// "bad bytes", a stalled TLS handshake is a timeout; and the transport still reacts to them as before.</summary>
public partial class SmtpTransportFaultTests
{
    // The client has sent its ClientHello (so the handshake's timeout is running) when the server stops answering.
    private static readonly string s_stalledHandshake = ScriptedSmtpServer.Hello("PIPELINING", "STARTTLS")
        + "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\nBODYPART 1\nSTALL";

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    private static IPEndPoint ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        return endPoint;
    }

    [Fact(Timeout = 30000)]
    public async Task Connect_ClosedPort_ThrowsSmtpConnectExceptionNotProtocolException()
    {
        var endPoint = ClosedPort();

        var error = await Assert.ThrowsAsync<SmtpConnectException>(() => SmtpSession.ConnectAsync(
            "mx.test", endPoint, Short(), TimeProvider.System, NullLogger.Instance, TestContext.Current.CancellationToken));

        var socket = Assert.IsType<SocketException>(error.InnerException);
        Assert.Equal(SocketError.ConnectionRefused, socket.SocketErrorCode);
        Assert.Contains($"mx.test [{endPoint}]", error.Message);
        Assert.IsAssignableFrom<ModernMailException>(error);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_ClosedPort_IsTransientConnectFailure()
    {
        var endPoint = ClosedPort();
        var config = new BrokerConfig { HostName = "client.test", Timeouts = Short() };
        config.Routes["*"] = endPoint.ToString();
        var transport = new SmtpTransport(config);

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient, result.Detail);
        Assert.Equal(SmtpStage.Connect, result.Stage);
        Assert.Contains($"connect to {endPoint.Address}", result.Detail);
        await transport.DisposeAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task StartTls_HandshakeStalls_ThrowsSmtpTimeoutExceptionForTheHandshake()
    {
        var server = new ScriptedSmtpServer().Then(s_stalledHandshake);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var timeouts = Short();
        var ct = TestContext.Current.CancellationToken;
        var session = await SmtpSession.ConnectAsync("mx.test", new IPEndPoint(IPAddress.Loopback, server.Port), timeouts, time, NullLogger.Instance, ct);
        await session.HelloAsync("client.test", ct);

        var handshake = session.StartTlsAsync(WebPkiCheck.System, ct);
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        time.Advance(timeouts.Command + TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<SmtpTimeoutException>(() => handshake);
        Assert.Equal("TLS handshake", error.Command);
        Assert.Equal(SmtpSession.TlsHandshakeStage, error.Command);
        Assert.Equal(timeouts.Command, error.Timeout);
        Assert.Contains($"127.0.0.1:{server.Port}", error.Host);
        Assert.Equal(SmtpSessionState.Broken, session.State);
        Assert.False(session.IsTls);
        await session.DisposeAsync();
        await server.DisposeAsync();
        Assert.Empty(server.Errors);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_TlsHandshakeStallsOpportunistic_ReconnectsInClear()
    {
        var server = new ScriptedSmtpServer()
            .Then(s_stalledHandshake)
            .Then(ScriptedSmtpServer.Hello("PIPELINING") + "C: MAIL FROM:\nC: RCPT TO:\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nBODY\nS: 250 queued");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var config = Config(server);
        config.TimeProvider = time;
        var transport = new SmtpTransport(config);

        var delivery = DeliverAsync(transport, "x@a.test");
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(config.Timeouts.Command + TimeSpan.FromSeconds(1));
        var result = Assert.Single(await delivery);

        Assert.True(result.Delivered, result.Detail);
        Assert.False(result.UsedTls);
        Assert.Contains("sent without TLS: TLS handshake", result.Detail);
        Assert.Contains("timed out", result.Detail);
        Assert.Equal(2, server.ConnectionCount);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_TlsHandshakeStallsRequired_NeverSendsInClear()
    {
        var server = new ScriptedSmtpServer().Then(s_stalledHandshake);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var config = Config(server, TlsPolicy.Required);
        config.TimeProvider = time;
        var transport = new SmtpTransport(config);

        var delivery = DeliverAsync(transport, "x@a.test");
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(config.Timeouts.Command + TimeSpan.FromSeconds(1));
        var result = Assert.Single(await delivery);

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient, result.Detail);
        Assert.Contains("TLS is required", result.Detail);
        Assert.Contains("TLS handshake", result.Detail);
        Assert.Equal(1, server.ConnectionCount);
        await FinishAsync(transport, server);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }
}
