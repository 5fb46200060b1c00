using System.Net;
using System.Net.Sockets;
using ModernMail.Deliverability.Internal;
using ModernMail.Dns;
using ModernMail.Dns.Internal;

namespace ModernMail.Deliverability;

public sealed partial class SpfEvaluator
{
    private async Task<bool> MatchesAsync(State state, string domain, SpfDirective directive, CancellationToken cancellationToken)
    {
        switch (directive.Mechanism)
        {
            case SpfMechanism.All:
                return true;

            case SpfMechanism.Ip4 or SpfMechanism.Ip6:
                return InNetwork(state.Address, directive.Network!, directive.Mechanism == SpfMechanism.Ip4 ? directive.Prefix4 : directive.Prefix6); // parser sets Network for ip4/ip6

            case SpfMechanism.Include:
                {
                    var target = await TargetAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
                    if (target is null)
                    {
                        throw new SpfPermanentException($"\"{directive.Text}\" names an invalid domain");
                    }

                    // §5.2: pass matches; fail, softfail and neutral do not; temperror propagates; permerror and none are permerror.
                    var inner = await CheckAsync(state, target, isTop: false, cancellationToken).ConfigureAwait(false);
                    return inner.Result switch
                    {
                        SpfResult.Pass => true,
                        SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => false,
                        SpfResult.TempError => throw new SpfTemporaryException($"include:{target}: {inner.Reason}"),
                        _ => throw new SpfPermanentException($"include:{target}: {inner.Reason}"),
                    };
                }

            case SpfMechanism.A:
                {
                    var target = await TargetAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
                    if (target is null)
                    {
                        CountVoid(state, directive.Text);
                        return false;
                    }

                    foreach (var ip in await AddressesAsync(state, target, countVoid: true, cancellationToken).ConfigureAwait(false))
                    {
                        if (InNetwork(state.Address, ip, state.IsIPv6 ? directive.Prefix6 : directive.Prefix4))
                        {
                            return true;
                        }
                    }

                    return false;
                }

            case SpfMechanism.Mx:
                {
                    var target = await TargetAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
                    if (target is null)
                    {
                        CountVoid(state, directive.Text);
                        return false;
                    }

                    var mx = Accept(state, target, "MX", await _dns.QueryMxAsync(target, cancellationToken).ConfigureAwait(false));
                    if (mx.Count > MaxNamesPerMechanism)
                    {
                        throw new SpfPermanentException($"\"{directive.Text}\": {target} has {mx.Count} MX records, more than {MaxNamesPerMechanism}");
                    }

                    foreach (var exchange in mx)
                    {
                        if (exchange.Exchange.Length == 0)
                        {
                            continue;
                        }

                        foreach (var ip in await AddressesAsync(state, exchange.Exchange, countVoid: false, cancellationToken).ConfigureAwait(false))
                        {
                            if (InNetwork(state.Address, ip, state.IsIPv6 ? directive.Prefix6 : directive.Prefix4))
                            {
                                return true;
                            }
                        }
                    }

                    return false;
                }

            case SpfMechanism.Ptr:
                {
                    var target = await TargetAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
                    if (target is null)
                    {
                        return false;
                    }

                    foreach (var name in await ValidatedNamesAsync(state, countVoid: true, cancellationToken).ConfigureAwait(false))
                    {
                        if (IsSubdomainOrSame(name, target))
                        {
                            return true;
                        }
                    }

                    return false;
                }

            default: // exists
                {
                    var target = await TargetAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
                    if (target is null)
                    {
                        CountVoid(state, directive.Text);
                        return false;
                    }

                    // §5.7: always an A query, whatever the client's address family.
                    var a = Accept(state, target, "A", await _dns.QueryAAsync(target, cancellationToken).ConfigureAwait(false));
                    return a.Count > 0;
                }
        }
    }

    private async Task<IReadOnlyList<IPAddress>> AddressesAsync(State state, string name, bool countVoid, CancellationToken cancellationToken)
    {
        var result = state.IsIPv6
            ? await _dns.QueryAaaaAsync(name, cancellationToken).ConfigureAwait(false)
            : await _dns.QueryAAsync(name, cancellationToken).ConfigureAwait(false);
        if (!countVoid && result.IsMissing)
        {
            return [];
        }

        return Accept(state, name, state.IsIPv6 ? "AAAA" : "A", result);
    }

    // §5.5: PTR names (at most 10) whose A/AAAA records include the client address. Lookup errors skip a name.
    private async Task<List<string>> ValidatedNamesAsync(State state, bool countVoid, CancellationToken cancellationToken)
    {
        var validated = new List<string>();
        var ptr = await _dns.QueryPtrAsync(state.Address, cancellationToken).ConfigureAwait(false);
        if (ptr.IsTransient)
        {
            return validated;
        }

        if (ptr.IsMissing)
        {
            if (countVoid)
            {
                CountVoid(state, ReverseDns.GetName(state.Address));
            }

            return validated;
        }

        var count = 0;
        foreach (var name in ptr.Records)
        {
            if (++count > MaxNamesPerMechanism)
            {
                break;
            }

            var result = state.IsIPv6
                ? await _dns.QueryAaaaAsync(name, cancellationToken).ConfigureAwait(false)
                : await _dns.QueryAAsync(name, cancellationToken).ConfigureAwait(false);
            foreach (var ip in result.Records)
            {
                if (ip.Equals(state.Address))
                {
                    validated.Add(name);
                    break;
                }
            }
        }

        return validated;
    }

    private static bool IsSubdomainOrSame(string name, string domain)
    {
        name = name.TrimEnd('.');
        domain = domain.TrimEnd('.');
        return name.Equals(domain, StringComparison.OrdinalIgnoreCase) ||
            (name.Length > domain.Length && name.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && name[^(domain.Length + 1)] == '.');
    }

    // The mechanism's domain-spec expanded, or the current domain; null when the expansion is not a usable name.
    private async Task<string?> TargetAsync(State state, string domain, SpfDirective directive, CancellationToken cancellationToken)
    {
        if (directive.DomainSpec is null)
        {
            return domain;
        }

        var target = await ExpandDomainAsync(state, domain, directive.DomainSpec, cancellationToken).ConfigureAwait(false);
        return IsQueryableName(target) ? target : null;
    }

    private static bool IsQueryableName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                return false;
            }
        }

        return true;
    }

    private async Task<string> ExpandDomainAsync(State state, string domain, string spec, CancellationToken cancellationToken)
    {
        var context = await ContextAsync(state, domain, spec, cancellationToken).ConfigureAwait(false);
        return SpfMacro.TruncateDomain(SpfMacro.Expand(spec, context, allowExplanationLetters: false).TrimEnd('.'));
    }

    private async Task<SpfMacroContext> ContextAsync(State state, string domain, string text, CancellationToken cancellationToken)
    {
        if (state.ValidatedName is null && SpfMacro.UsesValidatedName(text))
        {
            // §7.3 %{p}: a validated name equal to or under the domain if there is one, else any, else "unknown".
            var names = await ValidatedNamesAsync(state, countVoid: false, cancellationToken).ConfigureAwait(false);
            state.ValidatedName = names.Find(n => IsSubdomainOrSame(n, domain)) ?? (names.Count > 0 ? names[0] : "unknown");
        }

        return new SpfMacroContext(
            state.Sender, state.LocalPart, state.SenderDomain, domain, ReverseDns.GetDottedForm(state.Address), state.Address.ToString(),
            state.IsIPv6 ? "ip6" : "in-addr", state.Helo, state.ValidatedName ?? "unknown", _options.ReceivingHost,
            _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds());
    }

    // §6.2: the explanation is the single TXT record at the expanded exp= domain, macro-expanded; any problem means none.
    private async Task<string?> ExplainAsync(State state, string domain, string spec, CancellationToken cancellationToken)
    {
        var target = await ExpandDomainAsync(state, domain, spec, cancellationToken).ConfigureAwait(false);
        if (!IsQueryableName(target))
        {
            return null;
        }

        var txt = await _dns.QueryTxtAsync(target, cancellationToken).ConfigureAwait(false);
        if (txt.Records.Count != 1)
        {
            return null;
        }

        var text = txt.Records[0];
        if (!SpfMacro.IsValidMacroString(text, allowExplanationLetters: true, out _))
        {
            return null;
        }

        var context = await ContextAsync(state, domain, text, cancellationToken).ConfigureAwait(false);
        return SpfMacro.Expand(text, context, allowExplanationLetters: true);
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        network = ReverseDns.Normalize(network);
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var bits = Math.Min(prefix, length * 8);
        var whole = bits / 8;
        if (!a[..whole].SequenceEqual(n[..whole]))
        {
            return false;
        }

        var rest = bits % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (a[whole] & mask) == (n[whole] & mask);
    }
}
