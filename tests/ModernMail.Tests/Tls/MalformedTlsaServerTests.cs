using System.Net;
using System.Net.Sockets;
using ModernMail.Dns;
using Xunit;

namespace ModernMail.Tests.Tls;

/// <summary>A scripted DNS server for a fault real servers do not produce: a TLSA answer whose RDATA is too short.</summary>
public sealed class MalformedTlsaServerTests
{
    [Fact]
    public async Task QueryTlsa_RdataShorterThanItsFields_IsAServerFailureNotAnException()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)server.Client.LocalEndPoint!; // bound above, so never null
        var answering = AnswerAsync(server, ct);
        var lookup = new DnsClientLookup([endPoint.ToString()], TimeSpan.FromSeconds(2), retries: 0);

        var result = await lookup.QueryTlsaAsync("_25._tcp.mx.example", ct);

        Assert.True(result.IsTransient, result.Describe());
        Assert.False(result.Authenticated);
        server.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => answering);
    }

    /// <summary>Answers every query with one TLSA record of RDATA length 2 and the AD bit set.</summary>
    private static async Task AnswerAsync(UdpClient server, CancellationToken ct)
    {
        while (true)
        {
            var query = await server.ReceiveAsync(ct);
            byte[] q = query.Buffer;
            int questionEnd = 12;
            while (q[questionEnd] != 0)
            {
                questionEnd += q[questionEnd] + 1;
            }
            questionEnd += 5; // root label, QTYPE, QCLASS
            byte[] answer =
            [
                q[0], q[1], 0x81, 0xA0, 0, 1, 0, 1, 0, 0, 0, 0, // id, QR RD RA AD, 1 question, 1 answer
                .. q.AsSpan(12, questionEnd - 12),
                0xC0, 0x0C, 0, 52, 0, 1, 0, 0, 0, 5, 0, 2, 3, 1, // name pointer, TLSA, IN, TTL 5, RDLENGTH 2: usage and selector only
            ];
            await server.SendAsync(answer, query.RemoteEndPoint, ct);
        }
    }
}
