using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace ModernMail.Dkim;

/// <summary>Looks DKIM keys up in DNS with DnsClient: TXT at selector._domainkey.domain.</summary>
public sealed class DnsDkimKeyResolver : IDkimKeyResolver
{
    private readonly ILookupClient _client;

    /// <summary>Queries the system's DNS resolvers.</summary>
    public DnsDkimKeyResolver()
        : this(new LookupClient(new LookupClientOptions { UseCache = false, ThrowDnsErrors = false, Timeout = TimeSpan.FromSeconds(5), Retries = 1 }))
    {
    }

    /// <summary>Queries the given DNS servers.</summary>
    /// <exception cref="ArgumentException">No server was given.</exception>
    public DnsDkimKeyResolver(params IPEndPoint[] servers)
        : this(new LookupClient(Options(servers)))
    {
    }

    /// <summary>Queries through an existing DnsClient client.</summary>
    public DnsDkimKeyResolver(ILookupClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> GetKeyRecordsAsync(string selector, string domain, CancellationToken cancellationToken = default)
    {
        string name = $"{selector}._domainkey.{domain.TrimEnd('.')}";
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, QueryType.TXT, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex)
        {
            throw new DkimKeyLookupException($"DNS lookup of TXT {name} failed: {ex.Message}", ex);
        }

        if (response.HasError)
        {
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            {
                return [];
            }

            throw new DkimKeyLookupException($"DNS lookup of TXT {name} failed: {response.ErrorMessage}");
        }

        var records = new List<string>();
        foreach (TxtRecord txt in response.Answers.TxtRecords())
        {
            records.Add(string.Concat(txt.Text));
        }

        return records;
    }

    private static LookupClientOptions Options(IPEndPoint[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Length == 0)
        {
            throw new ArgumentException("At least one DNS server is required.", nameof(servers));
        }

        return new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
        {
            UseCache = false,
            ThrowDnsErrors = false,
            Timeout = TimeSpan.FromSeconds(5),
            Retries = 1,
        };
    }
}
