using System.Net;
using System.Net.Sockets;
using ModernMail.Dns.Internal;
using ModernMail.Tls;

namespace ModernMail.Dns;

/// <summary>An <see cref="IDnsLookup"/> over records held in memory, for tests and dry runs.</summary>
/// <remarks>
/// Names are case-insensitive and a trailing dot is ignored. A name with no records of any kind answers NXDOMAIN;
/// a name with other records answers NODATA. CNAMEs are followed (up to 8 hops; a loop is a server failure). Answers are
/// <see cref="DnsQueryResult{T}.Authenticated"/> when every name on the way lies in a zone given to <see cref="AddAuthenticatedZone"/>.
/// </remarks>
public sealed class InMemoryDnsLookup : IDnsLookup
{
    private const int MaxCnameHops = 8;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _authenticatedZones = [];

    /// <summary>Adds a TXT record whose character-strings are already joined.</summary>
    public void AddTxt(string name, string text) => GetNode(name).Txt.Add(text);

    /// <summary>Adds an A or AAAA record, chosen by the address family.</summary>
    public void AddAddress(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var node = GetNode(name);
        (address.AddressFamily == AddressFamily.InterNetworkV6 ? node.Aaaa : node.A).Add(address);
    }

    /// <summary>Adds an MX record.</summary>
    public void AddMx(string name, int preference, string exchange) => GetNode(name).Mx.Add(new MxRecord(preference, Trim(exchange)));

    /// <summary>Adds a PTR record at an owner name such as "4.3.2.1.in-addr.arpa".</summary>
    public void AddPtr(string name, string host) => GetNode(name).Ptr.Add(Trim(host));

    /// <summary>Adds a PTR record for an address.</summary>
    public void AddPtr(IPAddress address, string host)
    {
        ArgumentNullException.ThrowIfNull(address);
        AddPtr(ReverseDns.GetName(address), host);
    }

    /// <summary>Adds a TLSA record at an owner name such as "_25._tcp.mx.example.com".</summary>
    public void AddTlsa(string name, TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        GetNode(name).Tlsa.Add(record);
    }

    /// <summary>Makes answers for <paramref name="zone"/> and the names below it authenticated, as a validating resolver reports a signed zone.</summary>
    public void AddAuthenticatedZone(string zone) => _authenticatedZones.Add(Trim(zone));

    /// <summary>Makes <paramref name="name"/> an alias of <paramref name="target"/>.</summary>
    public void AddCname(string name, string target) => GetNode(name).Cname = Trim(target);

    /// <summary>Makes the name exist without giving it records (queries answer NODATA).</summary>
    public void AddName(string name) => GetNode(name);

    /// <summary>Makes queries for record types that <paramref name="name"/> has none of time out.</summary>
    public void AddTimeout(string name) => GetNode(name).TimesOut = true;

    /// <summary>Makes every query for <paramref name="name"/> answer SERVFAIL.</summary>
    public void AddServerFailure(string name) => GetNode(name).Fails = true;

    /// <inheritdoc/>
    public Task<DnsQueryResult<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Query(name, static n => n.Txt));

    /// <inheritdoc/>
    public Task<DnsQueryResult<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Query(name, static n => n.A));

    /// <inheritdoc/>
    public Task<DnsQueryResult<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Query(name, static n => n.Aaaa));

    /// <inheritdoc/>
    public Task<DnsQueryResult<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Query(name, static n => n.Mx));

    /// <inheritdoc/>
    public Task<DnsQueryResult<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Task.FromResult(Query(ReverseDns.GetName(address), static n => n.Ptr));
    }

    /// <inheritdoc/>
    public Task<DnsQueryResult<TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Query(name, static n => n.Tlsa));

    private DnsQueryResult<T> Query<T>(string name, Func<Node, List<T>> select)
    {
        var current = Trim(name);
        var authenticated = true;
        for (var hop = 0; hop <= MaxCnameHops; hop++)
        {
            authenticated &= IsAuthenticated(current);
            if (!_nodes.TryGetValue(current, out var node))
            {
                return DnsQueryResult<T>.FromOutcome(ExistsBelow(current) ? DnsOutcome.NoRecords : DnsOutcome.NoSuchDomain) with { Authenticated = authenticated };
            }

            if (node.Fails)
            {
                return DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure);
            }

            var records = select(node);
            if (records.Count > 0)
            {
                return DnsQueryResult<T>.FromRecords(records.ToArray()) with { Authenticated = authenticated };
            }

            if (node.Cname is { } target)
            {
                current = target;
                continue;
            }

            return node.TimesOut
                ? DnsQueryResult<T>.FromOutcome(DnsOutcome.Timeout)
                : DnsQueryResult<T>.FromOutcome(DnsOutcome.NoRecords) with { Authenticated = authenticated };
        }

        return DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure);
    }

    private bool IsAuthenticated(string name)
    {
        foreach (string zone in _authenticatedZones)
        {
            if (name.Equals(zone, StringComparison.OrdinalIgnoreCase)
                || (name.Length > zone.Length && name.EndsWith(zone, StringComparison.OrdinalIgnoreCase) && name[^(zone.Length + 1)] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    // An empty non-terminal (example.com when only a.example.com has records) exists: NODATA, not NXDOMAIN.
    private bool ExistsBelow(string name)
    {
        var suffix = "." + name;
        foreach (var key in _nodes.Keys)
        {
            if (key.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private Node GetNode(string name)
    {
        var key = Trim(name);
        if (!_nodes.TryGetValue(key, out var node))
        {
            node = new Node();
            _nodes.Add(key, node);
        }

        return node;
    }

    private static string Trim(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.EndsWith('.') ? name[..^1] : name;
    }

    private sealed class Node
    {
        public List<string> Txt { get; } = [];
        public List<IPAddress> A { get; } = [];
        public List<IPAddress> Aaaa { get; } = [];
        public List<MxRecord> Mx { get; } = [];
        public List<string> Ptr { get; } = [];
        public List<TlsaRecord> Tlsa { get; } = [];
        public string? Cname { get; set; }
        public bool TimesOut { get; set; }
        public bool Fails { get; set; }
    }
}
