using System.Net;
using ModernMail.Dns;

namespace ModernMail.Tests.Routing;

/// <summary>Answers MX and address questions from an <see cref="InMemoryDnsLookup"/>, and counts the questions.</summary>
internal sealed class FakeMxResolver : IDnsLookup
{
    public InMemoryDnsLookup Zone { get; } = new();

    public List<string> Questions { get; } = [];

    public FakeMxResolver WithMx(string domain, params (string Host, int Preference)[] records)
    {
        foreach (var (host, preference) in records)
        {
            Zone.AddMx(domain, preference, host);
        }
        return this;
    }

    public FakeMxResolver WithHost(string host, params string[] addresses)
    {
        foreach (string address in addresses)
        {
            Zone.AddAddress(host, IPAddress.Parse(address));
        }
        return this;
    }

    public Task<DnsQueryResult<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) =>
        Ask("TXT", name, () => Zone.QueryTxtAsync(name, cancellationToken));

    public Task<DnsQueryResult<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        Ask("A", name, () => Zone.QueryAAsync(name, cancellationToken));

    public Task<DnsQueryResult<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        Ask("AAAA", name, () => Zone.QueryAaaaAsync(name, cancellationToken));

    public Task<DnsQueryResult<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        Ask("MX", name, () => Zone.QueryMxAsync(name, cancellationToken));

    public Task<DnsQueryResult<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        Ask("PTR", address.ToString(), () => Zone.QueryPtrAsync(address, cancellationToken));

    public Task<DnsQueryResult<ModernMail.Tls.TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken = default) =>
        Ask("TLSA", name, () => Zone.QueryTlsaAsync(name, cancellationToken));

    private Task<T> Ask<T>(string type, string name, Func<Task<T>> query)
    {
        lock (Questions)
        {
            Questions.Add(type + " " + name);
        }
        return query();
    }
}
