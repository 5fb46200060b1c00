using System.Net;
using ModernMail.Routing.Internal;

namespace ModernMail.Tests.Routing;

/// <summary>Answers MX and address questions from tables, and counts the questions.</summary>
internal sealed class FakeMxResolver : IMxResolver
{
    public Dictionary<string, MxLookupResult> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, AddressLookupResult> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Questions { get; } = [];

    public FakeMxResolver WithMx(string domain, params (string Host, int Preference)[] records)
    {
        Mx[domain] = new MxLookupResult(DnsLookupStatus.Found, records.Select(r => new MxRecord(r.Host, r.Preference)).ToList());
        return this;
    }

    public FakeMxResolver WithHost(string host, params string[] addresses)
    {
        Addresses[host] = new AddressLookupResult(DnsLookupStatus.Found, addresses.Select(IPAddress.Parse).ToList());
        return this;
    }

    public Task<MxLookupResult> LookupMxAsync(string domain, CancellationToken cancellationToken)
    {
        lock (Questions)
        {
            Questions.Add("MX " + domain);
        }
        return Task.FromResult(Mx.TryGetValue(domain, out var result)
            ? result
            : new MxLookupResult(DnsLookupStatus.NoSuchDomain, [], $"{domain}: NXDOMAIN"));
    }

    public Task<AddressLookupResult> LookupAddressesAsync(string host, CancellationToken cancellationToken)
    {
        lock (Questions)
        {
            Questions.Add("A " + host);
        }
        return Task.FromResult(Addresses.TryGetValue(host, out var result)
            ? result
            : new AddressLookupResult(DnsLookupStatus.NoSuchDomain, [], $"{host}: NXDOMAIN"));
    }
}
