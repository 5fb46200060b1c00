using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModernMail.Deliverability.Internal;
using ModernMail.Dns;
using ModernMail.Dns.Internal;

namespace ModernMail.Deliverability;

/// <summary>Evaluates SPF (RFC 7208): check_host() over an <see cref="IDnsLookup"/>.</summary>
/// <remarks>
/// Implements every mechanism (all, include, a, mx, ptr, ip4, ip6, exists), the redirect= and exp= modifiers,
/// macros, the 10 DNS-lookup limit, the 2 void-lookup limit and the 10-name limits of mx and ptr (§4.6.4).
/// </remarks>
public sealed partial class SpfEvaluator
{
    private const int MaxNamesPerMechanism = 10;
    private readonly IDnsLookup _dns;
    private readonly SpfEvaluatorOptions _options;

    /// <summary>Creates an evaluator that resolves through <paramref name="dns"/>.</summary>
    public SpfEvaluator(IDnsLookup dns, SpfEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns = dns;
        _options = options ?? new SpfEvaluatorOptions();
    }

    /// <summary>Checks the MAIL FROM identity: <paramref name="mailFrom"/>'s domain, or the HELO name when the reverse-path is empty (§2.4).</summary>
    /// <param name="address">The SMTP client's address.</param>
    /// <param name="mailFrom">The reverse-path without angle brackets; "" for a bounce.</param>
    /// <param name="heloName">The name the client gave in HELO/EHLO.</param>
    /// <param name="cancellationToken">Cancels the DNS queries.</param>
    public Task<SpfEvaluation> CheckMailFromAsync(IPAddress address, string mailFrom, string heloName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(heloName);
        var sender = mailFrom.Length == 0 ? "postmaster@" + heloName : mailFrom;
        var at = sender.LastIndexOf('@');
        var domain = at < 0 ? sender : sender[(at + 1)..];
        return CheckHostAsync(address, domain, sender, heloName, cancellationToken);
    }

    /// <summary>Runs check_host(ip, domain, sender) (RFC 7208 §4).</summary>
    /// <param name="address">The SMTP client's address.</param>
    /// <param name="domain">The domain whose policy is checked.</param>
    /// <param name="sender">The sender ("local@domain"); a missing local part means "postmaster" (§4.3).</param>
    /// <param name="heloName">The HELO/EHLO name, for the %{h} macro.</param>
    /// <param name="cancellationToken">Cancels the DNS queries.</param>
    public async Task<SpfEvaluation> CheckHostAsync(
        IPAddress address, string domain, string sender, string heloName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(heloName);
        address = ReverseDns.Normalize(address);
        var at = sender.LastIndexOf('@');
        var localPart = at <= 0 ? "postmaster" : sender[..at];
        var senderDomain = at < 0 ? domain : sender[(at + 1)..];
        var state = new State(address, localPart + "@" + senderDomain, localPart, senderDomain, heloName);

        if (!IsCheckableDomain(domain))
        {
            return new SpfEvaluation(SpfResult.None, $"\"{domain}\" is not a fully qualified domain name", null, null, 0, 0);
        }

        var outcome = await CheckAsync(state, domain.TrimEnd('.'), isTop: true, cancellationToken).ConfigureAwait(false);
        return new SpfEvaluation(outcome.Result, outcome.Reason, state.TopRecord, outcome.Explanation, state.Lookups, state.VoidLookups);
    }

    // §4.3: a malformed domain (empty label, label over 63, not multi-label, a literal) gives "none".
    private static bool IsCheckableDomain(string domain)
    {
        var name = domain.EndsWith('.') ? domain[..^1] : domain;
        if (name.Length is 0 or > 253 || name.StartsWith('['))
        {
            return false;
        }

        var labels = name.Split('.');
        if (labels.Length < 2)
        {
            return false;
        }

        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63)
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Outcome(SpfResult Result, string Reason, string? Explanation = null);

    private sealed class State(IPAddress address, string sender, string localPart, string senderDomain, string helo)
    {
        public IPAddress Address { get; } = address;
        public string Sender { get; } = sender;
        public string LocalPart { get; } = localPart;
        public string SenderDomain { get; } = senderDomain;
        public string Helo { get; } = helo;
        public int Lookups { get; set; }
        public int VoidLookups { get; set; }
        public string? TopRecord { get; set; }
        public string? ValidatedName { get; set; }
        public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    private sealed class SpfPermanentException(string reason) : Exception(reason);

    private sealed class SpfTemporaryException(string reason) : Exception(reason);
}
