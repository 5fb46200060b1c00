using System.Net;
using ModernMail.Delivery.Shaping;

namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>A local address and its HELO name that one message leaves from.</summary>
internal sealed record Source(IPAddress Address, string HeloName, string Pool);

/// <summary>Picks the source address of a message: the pool its sender domain names (else the "*" pool), its addresses in turn.</summary>
internal sealed class SourceSelector
{
    // Each pool's sender domains, trimmed once; the "*" pool apart.
    private readonly List<(string[] Domains, Source[] Sources)> _pools;
    private readonly Source[]? _fallback;
    private int _next = -1;

    private SourceSelector(List<(string[], Source[])> pools, Source[]? fallback)
    {
        _pools = pools;
        _fallback = fallback;
    }

    /// <summary>The selector for <paramref name="pools"/>; null when there are none (the system picks the address).</summary>
    /// <exception cref="ArgumentException">A pool or address is invalid (the message names it).</exception>
    public static SourceSelector? Create(IList<SourcePool>? pools, string defaultHelo)
    {
        if (pools is null || pools.Count == 0)
        {
            return null;
        }
        var parsed = new List<(string[], Source[])>();
        Source[]? fallback = null;
        foreach (var pool in pools)
        {
            if (string.IsNullOrWhiteSpace(pool.Name) || pool.Addresses.Count == 0 || pool.SenderDomains.Count == 0)
            {
                throw new ArgumentException($"Source pool \"{pool.Name}\": give a Name, SenderDomains and at least one address.", nameof(pools));
            }
            var sources = new Source[pool.Addresses.Count];
            for (int i = 0; i < sources.Length; i++)
            {
                var address = pool.Addresses[i];
                if (!IPAddress.TryParse(address.Address, out var ip))
                {
                    throw new ArgumentException($"Source pool \"{pool.Name}\": \"{address.Address}\" is not an IP address.", nameof(pools));
                }
                string helo = string.IsNullOrWhiteSpace(address.HeloName) ? defaultHelo : address.HeloName.Trim();
                SmtpTransport.ValidateHostName(helo);
                sources[i] = new Source(ip, helo, pool.Name);
            }
            string[] domains = [.. pool.SenderDomains.Select(d => d.Trim().TrimEnd('.')).Where(d => d != "*")];
            parsed.Add((domains, sources));
            if (fallback is null && pool.SenderDomains.Contains("*"))
            {
                fallback = sources;
            }
        }
        return new SourceSelector(parsed, fallback);
    }

    /// <summary>The next source for mail from <paramref name="senderDomain"/>; null when no pool takes that sender.</summary>
    public Source? Pick(string? senderDomain)
    {
        Source[]? sources = null;
        string domain = (senderDomain ?? "").TrimEnd('.');
        foreach (var (domains, candidates) in _pools)
        {
            if (domain.Length > 0 && domains.Any(d => domain.Equals(d, StringComparison.OrdinalIgnoreCase)
                || (domain.Length > d.Length && domain.EndsWith(d, StringComparison.OrdinalIgnoreCase) && domain[^(d.Length + 1)] == '.')))
            {
                sources = candidates;
                break;
            }
        }
        sources ??= _fallback;
        if (sources is null)
        {
            return null;
        }
        return sources[(int)((uint)Interlocked.Increment(ref _next) % (uint)sources.Length)];
    }
}
