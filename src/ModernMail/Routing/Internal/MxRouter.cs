using System.Globalization;
using System.Net;

namespace ModernMail.Routing.Internal;

/// <summary>Turns a recipient domain into the ordered list of mail exchangers to try (RFC 5321 §5.1), honouring static routes.</summary>
internal sealed class MxRouter
{
    private readonly IMxResolver _resolver;
    private readonly IReadOnlyDictionary<string, RouteHost> _routes;
    private readonly int _port;
    private readonly Random _random;

    public MxRouter(IMxResolver resolver, IEnumerable<KeyValuePair<string, string>> routes, int port, Random random)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _resolver = resolver;
        _port = port;
        _random = random;
        var table = new Dictionary<string, RouteHost>(StringComparer.OrdinalIgnoreCase);
        foreach (var (domain, target) in routes)
        {
            string key = domain == "*" ? "*" : RecipientGrouper.ToAsciiDomain(domain);
            table[key] = ParseRoute(target, port);
        }
        _routes = table;
    }

    public IMxResolver Resolver => _resolver;

    /// <summary>Parses "host", "host:port", "[v6]" or "[v6]:port".</summary>
    public static RouteHost ParseRoute(string target, int defaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        if (target.AsSpan().IndexOfAny("\r\n\0") >= 0)
        {
            throw new ArgumentException($"Route target \"{target.ReplaceLineEndings(" ")}\" contains CR, LF or NUL.", nameof(target));
        }
        string host = target;
        int port = defaultPort;
        if (target.StartsWith('['))
        {
            int close = target.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Route target \"{target}\" has no closing ']'.", nameof(target));
            }
            host = target[1..close];
            if (close + 1 < target.Length)
            {
                port = ParsePort(target, target[(close + 1)..].TrimStart(':'));
            }
        }
        else if (target.Count(c => c == ':') == 1)
        {
            int colon = target.IndexOf(':', StringComparison.Ordinal);
            host = target[..colon];
            port = ParsePort(target, target[(colon + 1)..]);
        }
        return new RouteHost(host, port, IPAddress.TryParse(host, out var literal) ? literal : null);
    }

    private static int ParsePort(string target, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Route target \"{target}\" has an invalid port.", nameof(target));
        }
        return port;
    }

    /// <summary>Finds the exchangers for an ASCII domain: a static route, else MX records, else the domain itself.</summary>
    public async Task<DomainRoute> RouteAsync(string domain, CancellationToken cancellationToken)
    {
        if (_routes.TryGetValue(domain, out var route) || _routes.TryGetValue("*", out route))
        {
            return new DomainRoute(RouteStatus.Ok, [route]);
        }
        var mx = await _resolver.LookupMxAsync(domain, cancellationToken).ConfigureAwait(false);
        switch (mx.Status)
        {
            case DnsLookupStatus.Found:
                var ordered = Order(mx.Records, _random);
                var hosts = new RouteHost[ordered.Count];
                for (int i = 0; i < ordered.Count; i++)
                {
                    hosts[i] = new RouteHost(ordered[i].Host, _port, IPAddress.TryParse(ordered[i].Host, out var ip) ? ip : null);
                }
                return new DomainRoute(RouteStatus.Ok, hosts);
            case DnsLookupStatus.NoRecords:
                // RFC 5321 §5.1: no MX means the domain itself is the implicit MX with preference 0.
                return new DomainRoute(RouteStatus.Ok, [new RouteHost(domain, _port)], Implicit: true);
            case DnsLookupStatus.NullMx:
                return new DomainRoute(RouteStatus.Permanent, [], Error: mx.Error ?? $"{domain} does not accept mail (null MX)");
            case DnsLookupStatus.NoSuchDomain:
                return new DomainRoute(RouteStatus.Permanent, [], Error: mx.Error ?? $"{domain}: no such domain");
            default:
                return new DomainRoute(RouteStatus.Transient, [], Error: mx.Error ?? $"MX lookup for {domain} failed");
        }
    }

    /// <summary>Sorts by preference (lowest first) and shuffles records of equal preference (RFC 5321 §5.1).</summary>
    public static List<MxRecord> Order(IReadOnlyList<MxRecord> records, Random random)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(random);
        var sorted = new List<MxRecord>(records);
        sorted.Sort(static (x, y) => x.Preference.CompareTo(y.Preference));
        lock (random)
        {
            int start = 0;
            while (start < sorted.Count)
            {
                int end = start + 1;
                while (end < sorted.Count && sorted[end].Preference == sorted[start].Preference)
                {
                    end++;
                }
                // Fisher-Yates over [start, end).
                for (int i = end - 1; i > start; i--)
                {
                    int j = random.Next(start, i + 1);
                    (sorted[i], sorted[j]) = (sorted[j], sorted[i]);
                }
                start = end;
            }
        }
        return sorted;
    }
}
