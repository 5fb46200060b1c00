using System.Net.Sockets;
using ModernMail.Deliverability.Internal;
using ModernMail.Dns;
using ModernMail.Dns.Internal;

namespace ModernMail.Deliverability;

public sealed partial class SpfEvaluator
{
    private async Task<Outcome> CheckAsync(State state, string domain, bool isTop, CancellationToken cancellationToken)
    {
        // §4.4: the SPF record is the TXT record starting "v=spf1"; none at all is "none", two are a permerror.
        var txt = await _dns.QueryTxtAsync(domain, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return new Outcome(SpfResult.TempError, $"TXT lookup for {domain}: {txt.Describe()}");
        }

        string? text = null;
        foreach (var record in txt.Records)
        {
            if (!SpfRecord.IsSpfRecord(record))
            {
                continue;
            }

            if (text is not null)
            {
                if (isTop)
                {
                    state.TopRecord = text;
                }

                return new Outcome(SpfResult.PermError, $"{domain} publishes more than one SPF record: \"{text}\" and \"{record}\"");
            }

            text = record;
        }

        if (text is null)
        {
            return new Outcome(SpfResult.None, $"{domain} has no SPF record");
        }

        if (isTop)
        {
            state.TopRecord = text;
        }

        if (!SpfRecord.TryParse(text, out var parsed, out var error))
        {
            return new Outcome(SpfResult.PermError, $"SPF record of {domain} has a syntax error: {error}");
        }

        try
        {
            return await EvaluateAsync(state, domain, parsed, cancellationToken).ConfigureAwait(false);
        }
        catch (SpfPermanentException ex)
        {
            return new Outcome(SpfResult.PermError, ex.Message);
        }
        catch (SpfTemporaryException ex)
        {
            return new Outcome(SpfResult.TempError, ex.Message);
        }
    }

    private async Task<Outcome> EvaluateAsync(State state, string domain, SpfRecord record, CancellationToken cancellationToken)
    {
        foreach (var directive in record.Directives)
        {
            if (directive.QueriesDns)
            {
                CountLookup(state);
            }

            var matched = await MatchesAsync(state, domain, directive, cancellationToken).ConfigureAwait(false);
            if (!matched)
            {
                continue;
            }

            var reason = $"{domain} matched \"{directive.Text}\"";
            if (directive.Qualifier != SpfResult.Fail)
            {
                return new Outcome(directive.Qualifier, reason);
            }

            var explanation = record.Explanation is null
                ? null
                : await ExplainAsync(state, domain, record.Explanation, cancellationToken).ConfigureAwait(false);
            return new Outcome(SpfResult.Fail, reason, explanation);
        }

        if (record.Redirect is not null)
        {
            // §6.1: redirect counts as a lookup; a target without a record is a permerror.
            CountLookup(state);
            var target = await ExpandDomainAsync(state, domain, record.Redirect, cancellationToken).ConfigureAwait(false);
            if (!IsQueryableName(target))
            {
                throw new SpfPermanentException($"redirect={target} is not a valid domain name");
            }

            var result = await CheckAsync(state, target, isTop: false, cancellationToken).ConfigureAwait(false);
            return result.Result == SpfResult.None
                ? new Outcome(SpfResult.PermError, $"redirect={target}: {result.Reason}")
                : result;
        }

        return new Outcome(SpfResult.Neutral, $"no mechanism of {domain}'s SPF record matched");
    }

    private void CountLookup(State state)
    {
        state.Lookups++;
        if (state.Lookups > _options.MaxDnsLookups)
        {
            throw new SpfPermanentException($"more than {_options.MaxDnsLookups} DNS-querying terms (include, a, mx, ptr, exists, redirect)");
        }
    }

    private void CountVoid(State state, string name)
    {
        state.VoidLookups++;
        if (state.VoidLookups > _options.MaxVoidLookups)
        {
            throw new SpfPermanentException($"more than {_options.MaxVoidLookups} lookups returned no records (the last was {name})");
        }
    }

    // Timeouts and SERVFAIL end the evaluation with temperror (§5); NXDOMAIN and NODATA are void lookups.
    private IReadOnlyList<T> Accept<T>(State state, string name, string type, DnsQueryResult<T> result)
    {
        if (result.IsTransient)
        {
            throw new SpfTemporaryException($"{type} lookup for {name}: {result.Describe()}");
        }

        if (result.IsMissing)
        {
            CountVoid(state, name);
        }

        return result.Records;
    }
}
