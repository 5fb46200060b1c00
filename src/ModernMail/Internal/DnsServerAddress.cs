using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace ModernMail.Internal;

/// <summary>The one reading of a configured DNS server ("address", "address:port", "[v6]:port"), shared by routing, the doctor and the CLI.</summary>
internal static class DnsServerAddress
{
    /// <summary>Parses a DNS server; the port defaults to 53, and an explicit port 0 is refused.</summary>
    public static bool TryParse(string? server, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(server))
        {
            return false;
        }

        // "[v6]:port" and "v4:port" carry a port; IPAddress.TryParse would accept "[::1]:5353" and drop it.
        bool hasPort = server.StartsWith('[') || server.Count(c => c == ':') == 1;
        if (!hasPort && IPAddress.TryParse(server, out var bare))
        {
            endPoint = new IPEndPoint(bare, 53);
            return true;
        }

        if (hasPort && IPEndPoint.TryParse(server, out var parsed) && (parsed.Port != 0 || server.EndsWith(']')))
        {
            endPoint = parsed.Port == 0 ? new IPEndPoint(parsed.Address, 53) : parsed;
            return true;
        }

        return false;
    }
}
