using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

using ModernMail.Internal;

namespace ModernMail.Routing.Internal;

/// <summary>Answers MX and address questions with DnsClient.NET against the configured (or the system's) DNS servers.</summary>
internal sealed class DnsMxResolver : IMxResolver
{
    private static readonly QueryType[] s_addressTypes = [QueryType.A, QueryType.AAAA];

    private readonly LookupClient _client;

    public DnsMxResolver(IEnumerable<string> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var endPoints = new List<IPEndPoint>();
        foreach (string server in servers)
        {
            endPoints.Add(ParseServer(server));
        }
        var options = endPoints.Count > 0 ? new LookupClientOptions(endPoints.ToArray()) : new LookupClientOptions();
        options.UseCache = true;
        options.Timeout = TimeSpan.FromSeconds(5);
        options.Retries = 2;
        options.ThrowDnsErrors = false;
        options.UseTcpFallback = true;
        options.ContinueOnEmptyResponse = false;
        _client = new LookupClient(options);
    }

    /// <summary>Parses "address" or "address:port" ("[v6]:port" for IPv6 with a port).</summary>
    public static IPEndPoint ParseServer(string server)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(server);
        return DnsServerAddress.TryParse(server, out var endPoint)
            ? endPoint
            : throw new ArgumentException($"DNS server \"{server}\" is not an IP address or address:port.", nameof(server));
    }

    /// <inheritdoc />
    public async Task<MxLookupResult> LookupMxAsync(string domain, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(domain, QueryType.MX, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex)
        {
            return new MxLookupResult(DnsLookupStatus.Failed, [], $"MX lookup for {domain} failed: {ex.Message}");
        }
        catch (SocketException ex)
        {
            return new MxLookupResult(DnsLookupStatus.Failed, [], $"MX lookup for {domain} failed: {ex.Message}");
        }
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return new MxLookupResult(DnsLookupStatus.NoSuchDomain, [], $"{domain}: no such domain (NXDOMAIN)");
        }
        if (response.HasError)
        {
            return new MxLookupResult(DnsLookupStatus.Failed, [], $"MX lookup for {domain} failed: {response.ErrorMessage}");
        }
        var records = new List<MxRecord>();
        bool nullMx = false;
        foreach (var mx in response.Answers.MxRecords())
        {
            string host = mx.Exchange.Value.TrimEnd('.');
            if (host.Length == 0)
            {
                nullMx = true;
                continue;
            }
            records.Add(new MxRecord(host, mx.Preference));
        }
        if (records.Count == 0)
        {
            return nullMx
                ? new MxLookupResult(DnsLookupStatus.NullMx, [], $"{domain} does not accept mail (null MX, RFC 7505)")
                : new MxLookupResult(DnsLookupStatus.NoRecords, []);
        }
        return new MxLookupResult(DnsLookupStatus.Found, records);
    }

    /// <inheritdoc />
    public async Task<AddressLookupResult> LookupAddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return new AddressLookupResult(DnsLookupStatus.Found, [literal]);
        }
        var addresses = new List<IPAddress>();
        bool noSuchDomain = false;
        string? error = null;
        foreach (var type in s_addressTypes)
        {
            try
            {
                var response = await _client.QueryAsync(host, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
                if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
                {
                    noSuchDomain = true;
                    break;
                }
                if (response.HasError)
                {
                    error ??= $"{type} lookup for {host} failed: {response.ErrorMessage}";
                    continue;
                }
                foreach (var record in response.Answers)
                {
                    if (record is ARecord a)
                    {
                        addresses.Add(a.Address);
                    }
                    else if (record is AaaaRecord aaaa)
                    {
                        addresses.Add(aaaa.Address);
                    }
                }
            }
            catch (Exception ex) when (ex is DnsResponseException or SocketException)
            {
                error ??= string.Create(CultureInfo.InvariantCulture, $"{type} lookup for {host} failed: {ex.Message}");
            }
        }
        if (addresses.Count > 0)
        {
            return new AddressLookupResult(DnsLookupStatus.Found, addresses);
        }
        if (noSuchDomain)
        {
            return new AddressLookupResult(DnsLookupStatus.NoSuchDomain, [], $"{host}: no such domain (NXDOMAIN)");
        }
        return error is not null
            ? new AddressLookupResult(DnsLookupStatus.Failed, [], error)
            : new AddressLookupResult(DnsLookupStatus.NoRecords, [], $"{host} has no A or AAAA records");
    }
}
