using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ModernMail.Delivery.Shaping;
using ModernMail.Routing.Internal;

namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>Finds the destination of a routed domain (rule by domain, then by MX suffix, else one per MX host set under the
/// default rule) and keeps each destination's <see cref="Destination"/> budget.</summary>
internal sealed class TrafficShaper
{
    /// <summary>Unused default-rule destinations are forgotten past this many (one per MX set could grow without bound).</summary>
    private const int MaxDestinations = 10_000;

    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ShapingRule> _rules;
    private readonly ShapingRule _default;
    private readonly TimeSpan _recovery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private TrafficShaper(TrafficShaping options, TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _recovery = options.RecoveryInterval;
        MaxWait = options.MaxWait;
        _default = options.Default;
        _rules = [.. options.Rules];
        if (options.ProviderDefaults)
        {
            _rules.AddRange(ProviderShapingRules.All.Where(p => !_rules.Any(r => r.Name.Equals(p.Name, StringComparison.OrdinalIgnoreCase))));
        }
    }

    /// <summary>See <see cref="TrafficShaping.MaxWait"/>.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>The shaper for <paramref name="options"/>; null when shaping is off.</summary>
    /// <exception cref="ArgumentException">A rule is invalid (the message names it).</exception>
    public static TrafficShaper? Create(TrafficShaping? options, TimeProvider time, ILogger logger)
    {
        if (options is not { Enabled: true })
        {
            return null;
        }
        ArgumentNullException.ThrowIfNull(options.Default);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxWait, TimeSpan.Zero, nameof(TrafficShaping.MaxWait));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RecoveryInterval, TimeSpan.Zero, nameof(TrafficShaping.RecoveryInterval));
        Validate(options.Default, "Default");
        foreach (var rule in options.Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Name))
            {
                throw new ArgumentException("Every shaping rule needs a Name.", nameof(options));
            }
            if (rule.Domains.Count == 0 && rule.MxSuffixes.Count == 0)
            {
                throw new ArgumentException($"Shaping rule \"{rule.Name}\": give Domains or MxSuffixes.", nameof(options));
            }
            Validate(rule, rule.Name);
        }
        return new TrafficShaper(options, time, logger);
    }

    /// <summary>The destination of <paramref name="domain"/> (ASCII) routed to <paramref name="hosts"/>; null for a static route
    /// (a smart host or a test sink the operator chose) that no rule names: the default limits are for mailbox providers' MX.</summary>
    /// <remarks>With a <paramref name="source"/> address the destination is per (source, destination): "NAME@ADDRESS".</remarks>
    public Destination? For(string domain, IReadOnlyList<RouteHost> hosts, bool staticRoute, System.Net.IPAddress? source = null)
    {
        var rule = Match(domain, hosts);
        if (rule is null && staticRoute)
        {
            return null;
        }
        string name = rule is null
            ? "default:" + string.Join(",", hosts.Select(h => h.Name.TrimEnd('.').ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal))
            : rule.Name;
        if (source is not null)
        {
            name += "@" + source;
        }
        if (_destinations.TryGetValue(name, out var known))
        {
            known.Note(domain);
            return known;
        }
        if (_destinations.Count >= MaxDestinations)
        {
            foreach (var (key, destination) in _destinations)
            {
                if (destination.IsIdle)
                {
                    _destinations.TryRemove(key, out _);
                }
            }
        }
        var created = _destinations.GetOrAdd(name, n => new Destination(n, Merge(rule), _recovery, _time, _logger));
        created.Note(domain);
        return created;
    }

    /// <summary>Every destination seen so far, by name.</summary>
    public IReadOnlyList<DestinationStatus> Snapshot()
    {
        var now = _time.GetUtcNow();
        return [.. _destinations.Values.Select(d => d.Snapshot(now)).OrderBy(d => d.Name, StringComparer.Ordinal)];
    }

    private ShapingRule? Match(string domain, IReadOnlyList<RouteHost> hosts)
    {
        string ascii = domain.TrimEnd('.');
        foreach (var rule in _rules)
        {
            foreach (string d in rule.Domains)
            {
                string candidate = d.Trim().TrimEnd('.');
                if (ascii.Equals(candidate, StringComparison.OrdinalIgnoreCase) || ascii.EndsWith("." + candidate, StringComparison.OrdinalIgnoreCase))
                {
                    return rule;
                }
            }
        }
        foreach (var rule in _rules)
        {
            foreach (string suffix in rule.MxSuffixes)
            {
                string s = suffix.Trim().TrimEnd('.');
                foreach (var host in hosts)
                {
                    string name = host.Name.TrimEnd('.');
                    if (name.EndsWith(s.StartsWith('.') ? s : "." + s, StringComparison.OrdinalIgnoreCase) || name.Equals(s.TrimStart('.'), StringComparison.OrdinalIgnoreCase))
                    {
                        return rule;
                    }
                }
            }
        }
        return null;
    }

    /// <summary>The rule with every unset limit taken from the default.</summary>
    private ShapingRule Merge(ShapingRule? rule) => rule is null ? _default : new ShapingRule
    {
        Name = rule.Name,
        Domains = rule.Domains,
        MxSuffixes = rule.MxSuffixes,
        MaxConnections = rule.MaxConnections ?? _default.MaxConnections,
        MaxMessagesPerConnection = rule.MaxMessagesPerConnection ?? _default.MaxMessagesPerConnection,
        MessagesPerMinute = rule.MessagesPerMinute ?? _default.MessagesPerMinute,
        MessagesPerHour = rule.MessagesPerHour ?? _default.MessagesPerHour,
        ConnectionsPerMinute = rule.ConnectionsPerMinute ?? _default.ConnectionsPerMinute,
        SuspendOnReply = rule.SuspendOnReply ?? _default.SuspendOnReply,
        SuspendAfter = rule.SuspendAfter ?? _default.SuspendAfter,
        SuspendFor = rule.SuspendFor ?? _default.SuspendFor,
        Tls = rule.Tls ?? _default.Tls,
        Source = rule.Source,
    };

    private static void Validate(ShapingRule rule, string name)
    {
        foreach (var (value, what) in new (int?, string)[]
        {
            (rule.MaxConnections, nameof(rule.MaxConnections)), (rule.MaxMessagesPerConnection, nameof(rule.MaxMessagesPerConnection)),
            (rule.MessagesPerMinute, nameof(rule.MessagesPerMinute)), (rule.MessagesPerHour, nameof(rule.MessagesPerHour)),
            (rule.ConnectionsPerMinute, nameof(rule.ConnectionsPerMinute)), (rule.SuspendAfter, nameof(rule.SuspendAfter)),
        })
        {
            if (value is < 1 or > 1_000_000)
            {
                throw new ArgumentException($"Shaping rule \"{name}\": {what} must be between 1 and 1000000 (or unset).", nameof(rule));
            }
        }
        if (rule.SuspendFor is { } duration && duration < TimeSpan.Zero)
        {
            throw new ArgumentException($"Shaping rule \"{name}\": SuspendFor must not be negative.", nameof(rule));
        }
        if (rule.SuspendOnReply is { Length: > 0 } pattern)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Shaping rule \"{name}\": SuspendOnReply is not a valid regular expression: {ex.Message}", nameof(rule), ex);
            }
        }
    }
}
