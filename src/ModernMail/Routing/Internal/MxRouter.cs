using System.Diagnostics;
using System.Globalization;
using System.Net;
using ModernMail.Diagnostics;
using ModernMail.Dns;

namespace ModernMail.Routing.Internal;

/// <summary>Turns a recipient domain into the ordered list of mail exchangers to try (RFC 5321 §5.1), honouring static routes.</summary>
internal sealed class MxRouter
{
    private readonly IDnsLookup _dns;
    private readonly IReadOnlyDictionary<string, RouteHost> _routes;
    private readonly int _port;
    private readonly Random _random;

    public MxRouter(IDnsLookup dns, IEnumerable<KeyValuePair<string, string>> routes, int port, Random random)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(random);
        // The port is BrokerConfig.SmtpPort: named so, for the host's start validation.
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, nameof(BrokerConfig.SmtpPort));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535, nameof(BrokerConfig.SmtpPort));
        _dns = dns;
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

    public IDnsLookup Dns => _dns;

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
            return new DomainRoute(RouteStatus.Ok, [route], Static: true);
        }
        using var activity = MailTelemetry.Source.StartActivity("resolve", ActivityKind.Internal);
        activity?.SetTag("dns.question.name", domain);
        var result = await ResolveAsync(domain, cancellationToken).ConfigureAwait(false);
        if (activity is not null)
        {
            activity.SetTag("modernmail.mx.count", result.Hosts.Count);
            if (result.Status != RouteStatus.Ok)
            {
                MailTelemetry.Fail(activity, result.Error ?? result.Status.ToString());
            }
        }
        return result;
    }

    private async Task<DomainRoute> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        var mx = await _dns.QueryMxAsync(domain, cancellationToken).ConfigureAwait(false);
        switch (mx.Outcome)
        {
            case DnsOutcome.Found:
                var ordered = Order(mx.Records.Where(static r => !r.IsNullMx).ToList(), _random);
                if (ordered.Count == 0)
                {
                    return new DomainRoute(RouteStatus.Permanent, [], Error: $"{domain} does not accept mail (null MX, RFC 7505)");
                }
                var hosts = new RouteHost[ordered.Count];
                for (int i = 0; i < ordered.Count; i++)
                {
                    hosts[i] = new RouteHost(ordered[i].Exchange, _port, IPAddress.TryParse(ordered[i].Exchange, out var ip) ? ip : null);
                }
                return new DomainRoute(RouteStatus.Ok, hosts);
            case DnsOutcome.NoRecords:
                // RFC 5321 §5.1: no MX means the domain itself is the implicit MX with preference 0.
                return new DomainRoute(RouteStatus.Ok, [new RouteHost(domain, _port)], Implicit: true);
            case DnsOutcome.NoSuchDomain:
                return new DomainRoute(RouteStatus.Permanent, [], Error: $"{domain}: no such domain (NXDOMAIN)");
            default:
                return new DomainRoute(RouteStatus.Transient, [], Error: $"MX lookup for {domain} failed: {mx.Describe()}");
        }
    }

    /// <summary>Looks up the A and AAAA records of a mail exchanger (IPv4 first); an IP literal is its own address.</summary>
    public async Task<AddressLookupResult> LookupAddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return new AddressLookupResult(DnsOutcome.Found, [literal]);
        }
        var addresses = new List<IPAddress>();
        string? error = null;
        var a = await _dns.QueryAAsync(host, cancellationToken).ConfigureAwait(false);
        if (a.Outcome == DnsOutcome.NoSuchDomain)
        {
            // The name does not exist, so it has no AAAA either.
            return new AddressLookupResult(DnsOutcome.NoSuchDomain, [], $"{host}: no such domain (NXDOMAIN)");
        }
        addresses.AddRange(a.Records);
        if (a.IsTransient)
        {
            error = $"A lookup for {host} failed: {a.Describe()}";
        }
        var aaaa = await _dns.QueryAaaaAsync(host, cancellationToken).ConfigureAwait(false);
        addresses.AddRange(aaaa.Records);
        if (aaaa.IsTransient)
        {
            error ??= $"AAAA lookup for {host} failed: {aaaa.Describe()}";
        }
        if (addresses.Count > 0)
        {
            return new AddressLookupResult(DnsOutcome.Found, addresses);
        }
        if (aaaa.Outcome == DnsOutcome.NoSuchDomain)
        {
            return new AddressLookupResult(DnsOutcome.NoSuchDomain, [], $"{host}: no such domain (NXDOMAIN)");
        }
        return error is not null
            ? new AddressLookupResult(DnsOutcome.ServerFailure, [], error)
            : new AddressLookupResult(DnsOutcome.NoRecords, [], $"{host} has no A or AAAA records");
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
