using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModernMail.Dns;
using ModernMail.Tls.Internal;

namespace ModernMail.Tls;

/// <summary>Finds the MTA-STS policy that applies to a recipient domain (RFC 8461 §3.3, §5.1), caching policies for their
/// max_age, in memory and, when given a store, across restarts.</summary>
/// <remarks>
/// Order of decisions: the <c>_mta-sts</c> TXT record is looked up; when its id equals the cached policy's, the cached
/// policy applies without a fetch; otherwise the policy is fetched. A failed fetch, a TXT lookup that failed or found
/// nothing, all fall back to an unexpired cached policy: an attacker who blocks DNS or HTTPS cannot switch a policy off
/// (§10.1). Only without a cached policy does a failure mean "no policy", and then it is reported in
/// <see cref="MtaStsLookup.Failure"/> for TLS reporting. Concurrent lookups of one domain share one fetch.
/// </remarks>
public sealed class MtaStsResolver : IDisposable
{
    private readonly IDnsLookup _dns;
    private readonly MtaStsFetcher _fetcher;
    private readonly IMtaStsPolicyStore? _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MtaStsPolicy> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<MtaStsLookup>>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset Until, MtaStsLookup Lookup)> _failed = new(StringComparer.Ordinal);

    /// <summary>How long a failed fetch (with no cached policy to fall back on) is remembered before the next try, so a
    /// domain whose policy host is down costs one fetch timeout per interval, not one per message.</summary>
    internal static readonly TimeSpan FailureRetryInterval = TimeSpan.FromMinutes(5);

    /// <summary>Creates a resolver that keeps policies in memory only.</summary>
    public MtaStsResolver(IDnsLookup dns, MtaStsOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(dns, options ?? new MtaStsOptions(), store: null, timeProvider, logger)
    {
    }

    internal MtaStsResolver(IDnsLookup dns, MtaStsOptions options, IMtaStsPolicyStore? store, TimeProvider? timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(options);
        _dns = dns;
        _fetcher = new MtaStsFetcher(dns, options);
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The policy for <paramref name="domain"/> (an ASCII recipient domain) now.</summary>
    public Task<MtaStsLookup> GetAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        string key = domain.TrimEnd('.').ToLowerInvariant();
        var lazy = _inFlight.GetOrAdd(key, k => new Lazy<Task<MtaStsLookup>>(() => LookUpAsync(k, CancellationToken.None)));
        return lazy.Value.ContinueWith(t =>
        {
            _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<MtaStsLookup>>>(key, lazy));
            return t;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap().WaitAsync(cancellationToken);
    }

    private async Task<MtaStsLookup> LookUpAsync(string domain, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        MtaStsPolicy? cached = await CachedAsync(domain, now, cancellationToken).ConfigureAwait(false);
        var txt = await _dns.QueryTxtAsync("_mta-sts." + domain, cancellationToken).ConfigureAwait(false);
        if (!StsTxtRecord.TryGetId(txt.Records, out string? id, out string? recordError))
        {
            if (cached is not null)
            {
                return new MtaStsLookup(cached, FromCache: true);
            }
            return txt.IsTransient
                ? new MtaStsLookup(null, false, "sts-policy-fetch-error", $"_mta-sts.{domain} TXT: {txt.Describe()}")
                : txt.Records.Any(t => t.StartsWith("v=STSv1", StringComparison.Ordinal))
                    ? new MtaStsLookup(null, false, "sts-policy-invalid", $"_mta-sts.{domain} TXT: {recordError}")
                    : MtaStsLookup.NoPolicy;
        }
        if (cached is not null && cached.Id == id)
        {
            return new MtaStsLookup(cached, FromCache: true);
        }

        if (cached is null && _failed.TryGetValue(domain, out var recent) && recent.Id == id && recent.Until > now)
        {
            return recent.Lookup;
        }
        var (body, failure, detail) = await _fetcher.FetchAsync(domain, cancellationToken).ConfigureAwait(false);
        if (body is not null)
        {
            try
            {
                var policy = MtaStsPolicy.Parse(domain, id, body, now);
                _cache[domain] = policy;
                _failed.TryRemove(domain, out _);
                if (_store is not null)
                {
                    await _store.SaveAsync(policy, cancellationToken).ConfigureAwait(false);
                }
                TlsLog.PolicyFetched(_logger, domain, policy.Mode, policy.Id, (long)policy.MaxAge.TotalSeconds);
                return new MtaStsLookup(policy, FromCache: false);
            }
            catch (FormatException ex)
            {
                (failure, detail) = ("sts-policy-invalid", $"https://mta-sts.{domain}/.well-known/mta-sts.txt: {ex.Message}");
            }
        }
        TlsLog.PolicyFetchFailed(_logger, domain, failure!, detail!, cached is not null);
        var lookup = new MtaStsLookup(cached, FromCache: cached is not null, failure, detail);
        if (cached is null)
        {
            _failed[domain] = (id, now + FailureRetryInterval, lookup);
        }
        return lookup;
    }

    /// <summary>The unexpired cached policy: memory first, then the store.</summary>
    private async Task<MtaStsPolicy?> CachedAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_cache.TryGetValue(domain, out var policy) && _store is not null
            && await _store.LoadAsync(domain, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            policy = _cache.GetOrAdd(domain, stored);
        }
        return policy is not null && policy.ExpiresAt > now ? policy : null;
    }

    /// <inheritdoc />
    public void Dispose() => _fetcher.Dispose();
}
