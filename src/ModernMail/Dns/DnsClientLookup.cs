using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using ModernMail.Diagnostics;
using ModernMail.Dns.Internal;
using ModernMail.Internal;
using ModernMail.Tls;
using TlsaMatchingType = ModernMail.Tls.TlsaMatchingType;
using TlsaRecord = ModernMail.Tls.TlsaRecord;
using TlsaSelector = ModernMail.Tls.TlsaSelector;

namespace ModernMail.Dns;

/// <summary>
/// The one <see cref="IDnsLookup"/> that asks real DNS servers, through DnsClient: MX routing, DKIM key lookup, SPF and
/// the doctor all go through it, so caching, timeouts, retries and the configured servers are decided here.
/// </summary>
/// <remarks>
/// Answers are cached for their TTL (failures are not cached); a query that times out is repeated <c>retries</c> times
/// per server; a server that answers SERVFAIL or REFUSED is skipped for the next configured one; a truncated UDP
/// answer is asked again over TCP. Every query carries the DO bit (RFC 3225), so a validating resolver reports whether it
/// validated the answer (AD); <see cref="DnsQueryResult{T}.Authenticated"/> is true only for answers from one of
/// <see cref="ValidatingServers"/>.
/// </remarks>
public sealed class DnsClientLookup : IDnsLookup
{
    /// <summary>How long one query waits for an answer unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How many times a timed-out query is repeated unless told otherwise.</summary>
    public const int DefaultRetries = 2;

    private readonly LookupClient _client;
    private readonly IReadOnlyCollection<string> _validatingServers = [];
    private readonly HashSet<IPEndPoint> _validating = [];

    /// <summary>Creates a lookup that asks the given servers, or the system's servers when none are given.</summary>
    /// <param name="servers">Servers as "address" or "address:port" ("[::1]:53" for IPv6 with a port); empty for the system's resolvers.</param>
    /// <param name="timeout">How long to wait for one answer; the default is <see cref="DefaultTimeout"/>.</param>
    /// <param name="retries">How many times to repeat a query that timed out; the default is <see cref="DefaultRetries"/>.</param>
    /// <exception cref="FormatException">A server is not "address[:port]".</exception>
    public DnsClientLookup(IEnumerable<string>? servers = null, TimeSpan? timeout = null, int retries = DefaultRetries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        var endPoints = new List<NameServer>();
        foreach (var server in servers ?? [])
        {
            endPoints.Add(new NameServer(ParseServer(server)));
        }

        var options = endPoints.Count > 0 ? new LookupClientOptions([.. endPoints]) : new LookupClientOptions();
        options.UseCache = true;
        options.Timeout = timeout ?? DefaultTimeout;
        options.Retries = retries;
        options.ThrowDnsErrors = false;
        options.UseTcpFallback = true;
        options.ContinueOnDnsError = true;
        options.ContinueOnEmptyResponse = false;
        // DO asks a validating resolver for the AD bit (a resolver sets AD only when the query has DO or AD set).
        options.RequestDnsSecRecords = true;
        _client = new LookupClient(options);
    }

    /// <summary>
    /// The servers, as "address[:port]", whose AD bit is believed: validating resolvers reached over a path the
    /// operator trusts (typically on the same host). Empty by default, so no answer counts as authenticated.
    /// </summary>
    /// <exception cref="FormatException">A server is not "address[:port]".</exception>
    public IReadOnlyCollection<string> ValidatingServers
    {
        get => _validatingServers;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            var servers = new List<string>();
            foreach (string server in value)
            {
                _validating.Add(ParseServer(server));
                servers.Add(server);
            }
            _validatingServers = servers;
        }
    }

    /// <summary>Creates a lookup for configured servers, reporting a bad one as an <see cref="ArgumentException"/> (the broker's contract).</summary>
    internal static DnsClientLookup FromConfiguration(IEnumerable<string> servers, string paramName) =>
        FromConfiguration(servers, [], paramName);

    /// <summary>Creates the broker's lookup: its DNS servers, trusting the AD bit of DANE's validating resolvers.</summary>
    internal static DnsClientLookup FromConfiguration(BrokerConfig config, string paramName) =>
        FromConfiguration(config.DnsServers, config.Dane.Enabled ? [.. config.Dane.ValidatingResolvers] : [], paramName);

    private static DnsClientLookup FromConfiguration(IEnumerable<string> servers, IReadOnlyCollection<string> validating, string paramName)
    {
        try
        {
            return new DnsClientLookup(servers) { ValidatingServers = validating };
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, paramName, ex);
        }
    }

    /// <summary>Parses "address" or "address:port" ("[v6]:port" for IPv6 with a port); the port defaults to 53.</summary>
    /// <exception cref="FormatException">The text is not an address with an optional port.</exception>
    public static IPEndPoint ParseServer(string server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return DnsServerAddress.TryParse(server, out var endPoint)
            ? endPoint
            : throw new FormatException($"DNS server \"{server}\" is not an IP address with an optional :port.");
    }

    /// <inheritdoc/>
    public Task<DnsQueryResult<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.TXT, static a => a.TxtRecords().Select(t => string.Concat(t.Text)), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsQueryResult<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.A, static a => a.ARecords().Select(r => r.Address), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsQueryResult<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.AAAA, static a => a.AaaaRecords().Select(r => r.Address), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsQueryResult<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.MX, static a => a.MxRecords().Select(r => new MxRecord(r.Preference, TrimDot(r.Exchange.Value))), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsQueryResult<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return QueryAsync(ReverseDns.GetName(address), QueryType.PTR, static a => a.PtrRecords().Select(r => TrimDot(r.PtrDomainName.Value)), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DnsQueryResult<TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.TLSA, static a => a.TlsaRecords().Select(ToTlsa).OfType<TlsaRecord>(), cancellationToken);

    private static TlsaRecord? ToTlsa(DnsClient.Protocol.TlsaRecord r)
    {
        var data = r.CertificateAssociationData.ToArray();
        return data.Length <= TlsaRecord.MaxDataLength
            ? new TlsaRecord((TlsaUsage)r.CertificateUsage, (TlsaSelector)r.Selector, (TlsaMatchingType)r.MatchingType, data)
            : null;
    }

    private async Task<DnsQueryResult<T>> QueryAsync<T>(
        string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!MailTelemetry.DnsLookupDuration.Enabled)
        {
            return await QueryCoreAsync(name, type, select, cancellationToken).ConfigureAwait(false);
        }
        long start = Stopwatch.GetTimestamp();
        var result = await QueryCoreAsync(name, type, select, cancellationToken).ConfigureAwait(false);
        var tags = new TagList { { "type", TypeName(type) }, { "outcome", OutcomeName(result.Outcome) } };
        MailTelemetry.DnsLookupDuration.Record(MailTelemetry.SecondsSince(start), tags);
        return result;
    }

    private static string TypeName(QueryType type) => type switch
    {
        QueryType.A => "A",
        QueryType.AAAA => "AAAA",
        QueryType.MX => "MX",
        QueryType.TXT => "TXT",
        QueryType.PTR => "PTR",
        QueryType.TLSA => "TLSA",
        _ => "other",
    };

    /// <summary>The outcome tag of <c>modernmail.dns.lookup.duration</c>.</summary>
    internal static string OutcomeName(DnsOutcome outcome) => outcome switch
    {
        DnsOutcome.Found => "found",
        DnsOutcome.NoRecords => "no_records",
        DnsOutcome.NoSuchDomain => "no_such_domain",
        DnsOutcome.Timeout => "timeout",
        _ => "server_failure",
    };

    private async Task<DnsQueryResult<T>> QueryCoreAsync<T>(
        string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return DnsQueryResult<T>.FromOutcome(DnsOutcome.Timeout);
        }
        catch (DnsResponseException)
        {
            return DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure);
        }
        catch (SocketException)
        {
            return DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure);
        }
        catch (DnsResponseParseException)
        {
            // A malformed answer (a TLSA RDATA shorter than its three fields, say) from the last server left to ask.
            return DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure);
        }
        catch (ArgumentException)
        {
            // DnsClient rejects names it cannot encode (a label over 63 octets); such a name cannot exist.
            return DnsQueryResult<T>.FromOutcome(DnsOutcome.NoSuchDomain);
        }

        bool authenticated = response.Header.IsAuthenticData && IsValidating(response.NameServer);
        return response.Header.ResponseCode switch
        {
            DnsHeaderResponseCode.NoError => DnsQueryResult<T>.FromRecords(select(response.Answers).ToArray()) with { Authenticated = authenticated },
            DnsHeaderResponseCode.NotExistentDomain => DnsQueryResult<T>.FromOutcome(DnsOutcome.NoSuchDomain) with { Authenticated = authenticated },
            _ => DnsQueryResult<T>.FromOutcome(DnsOutcome.ServerFailure),
        };
    }

    private bool IsValidating(NameServer? server) =>
        server is not null && _validating.Count > 0 && IPAddress.TryParse(server.Address, out var address)
        && _validating.Contains(new IPEndPoint(address, server.Port));

    private static string TrimDot(string name) => name.EndsWith('.') ? name[..^1] : name;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(", ", _client.NameServers.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Address}:{s.Port}")));
}
