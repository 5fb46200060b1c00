using System.Net;
using System.Net.Sockets;

namespace ModernMail.Server.Configuration;

/// <summary>Parses listener settings "ADDRESS:PORT" ("localhost" means 127.0.0.1; IPv6 in brackets), naming the setting when one is wrong.</summary>
internal static class ListenEndpoints
{
    /// <param name="parts">The entries (each may hold several, comma-separated).</param>
    /// <param name="setting">How the operator sets it, for errors ("Http:Listen / --http").</param>
    /// <param name="examplePort">A port for the examples in the error text.</param>
    /// <exception cref="ServerConfigurationException">An entry is not ADDRESS:PORT.</exception>
    public static List<IPEndPoint> Parse(IEnumerable<string> parts, string setting, int examplePort)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (string entry in parts)
        {
            foreach (string part in entry.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string text = part.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + part[9..] : part;
                if (!IPEndPoint.TryParse(text, out var endpoint) || !text.Contains(':', StringComparison.Ordinal) || endpoint.Port is < 0 or > 65535
                    || (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
                {
                    throw new ServerConfigurationException(
                        $"{setting}: \"{part}\" is not ADDRESS:PORT (e.g. 127.0.0.1:{examplePort}, [::1]:{examplePort}, 0.0.0.0:{examplePort}) or \"none\".");
                }
                endpoints.Add(endpoint);
            }
        }
        return endpoints;
    }
}
