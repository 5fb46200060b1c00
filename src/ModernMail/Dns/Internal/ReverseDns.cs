using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModernMail.Dns.Internal;

/// <summary>Reverse-DNS names (in-addr.arpa, ip6.arpa) and the dotted forms SPF macros use.</summary>
internal static class ReverseDns
{
    /// <summary>The PTR owner name of an address: "4.3.2.1.in-addr.arpa" or the nibble form under ip6.arpa.</summary>
    public static string GetName(IPAddress address)
    {
        var dotted = GetDottedForm(Normalize(address));
        var labels = dotted.Split('.');
        Array.Reverse(labels);
        var suffix = address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6 ? "in-addr.arpa" : "ip6.arpa";
        return string.Join('.', labels) + "." + suffix;
    }

    /// <summary>Dotted form for the SPF %{i} macro: "1.2.3.4" or 32 dot-separated nibbles for IPv6 (RFC 7208 §7.3).</summary>
    public static string GetDottedForm(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var builder = new StringBuilder(63);
        foreach (var b in bytes)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            builder.Append(CultureInfo.InvariantCulture, $"{b >> 4:x}.{b & 0xF:x}");
        }

        return builder.ToString();
    }

    /// <summary>Maps an IPv4-mapped IPv6 address back to IPv4 (RFC 7208 §5 treats them as IPv4).</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
