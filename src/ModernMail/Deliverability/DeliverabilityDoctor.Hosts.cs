using System.Net;
using ModernMail.Deliverability.Internal;
using ModernMail.Dns;
using ModernMail.Dns.Internal;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    private async Task<IReadOnlyList<DoctorCheck>> CheckReverseAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        const string Area = "PTR";
        var address = ReverseDns.Normalize(setup.Address);
        var helo = setup.HeloName.TrimEnd('.');
        var reverseName = ReverseDns.GetName(address);
        var ptr = await _dns.QueryPtrAsync(address, cancellationToken).ConfigureAwait(false);
        if (ptr.IsTransient)
        {
            return [CouldNotCheck(Area, "PTR", reverseName, ptr)];
        }

        var fix = $"ask the owner of {address} (hosting provider, ISP) to set PTR {reverseName} -> {helo}";
        if (ptr.IsMissing)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"{address} has no PTR record ({ptr.Describe()}); many receivers reject such mail", fix)];
        }

        var confirmed = new List<string>();
        var problems = new List<string>();
        foreach (var name in ptr.Records)
        {
            var forward = await QueryForwardAsync(name, address, cancellationToken).ConfigureAwait(false);
            if (forward.IsTransient)
            {
                return [CouldNotCheck(Area, "A/AAAA", name, forward)];
            }

            if (forward.Records.Any(a => ReverseDns.Normalize(a).Equals(address)))
            {
                confirmed.Add(name);
            }
            else
            {
                problems.Add(forward.Records.Count == 0
                    ? $"{name} does not resolve ({forward.Describe()})"
                    : $"{name} resolves to {string.Join(", ", forward.Records)}");
            }
        }

        var names = string.Join(", ", ptr.Records);
        if (confirmed.Count == 0)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail,
                $"PTR of {address} is {names}, which does not forward-confirm: {string.Join("; ", problems)}",
                $"add an A record {ptr.Records[0]} -> {address}, or {fix}", names)];
        }

        if (confirmed.Any(n => n.Equals(helo, StringComparison.OrdinalIgnoreCase)))
        {
            return [new DoctorCheck(Area, CheckStatus.Pass, $"{address} -> {helo} -> {address} forward-confirms and matches the HELO name", null, names)];
        }

        return [new DoctorCheck(Area, CheckStatus.Warn, $"PTR {confirmed[0]} forward-confirms but the HELO name is {helo}",
            $"use {confirmed[0]} as the HELO name, or {fix}", names)];
    }

    private async Task<DnsQueryResult<IPAddress>> QueryForwardAsync(string name, IPAddress like, CancellationToken cancellationToken) =>
        like.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? await _dns.QueryAaaaAsync(name, cancellationToken).ConfigureAwait(false)
            : await _dns.QueryAAsync(name, cancellationToken).ConfigureAwait(false);

    private async Task<IReadOnlyList<DoctorCheck>> CheckHeloAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        const string Area = "HELO";
        var address = ReverseDns.Normalize(setup.Address);
        var helo = setup.HeloName.TrimEnd('.');
        if (!helo.Contains('.', StringComparison.Ordinal))
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"HELO name \"{helo}\" is not a fully qualified domain name",
                "use a full host name such as mail." + setup.Domain.TrimEnd('.'))];
        }

        var forward = await QueryForwardAsync(helo, address, cancellationToken).ConfigureAwait(false);
        if (forward.IsTransient)
        {
            return [CouldNotCheck(Area, "A/AAAA", helo, forward)];
        }

        var type = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "AAAA" : "A";
        if (forward.IsMissing)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"HELO name {helo} has no {type} record ({forward.Describe()})",
                $"publish {type} {helo} -> {address}")];
        }

        if (!forward.Records.Any(a => ReverseDns.Normalize(a).Equals(address)))
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"HELO name {helo} resolves to {string.Join(", ", forward.Records)}, not {address}",
                $"publish {type} {helo} -> {address}, or use a HELO name that resolves to it")];
        }

        return [new DoctorCheck(Area, CheckStatus.Pass, $"HELO name {helo} resolves to {address}")];
    }

    private async Task<IReadOnlyList<DoctorCheck>> CheckMxAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        const string Area = "MX";
        var domain = setup.EffectiveMailFromDomain;
        var mx = await _dns.QueryMxAsync(domain, cancellationToken).ConfigureAwait(false);
        if (mx.IsTransient)
        {
            return [CouldNotCheck(Area, "MX", domain, mx)];
        }

        if (mx.Outcome == DnsOutcome.NoSuchDomain)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"{domain} does not exist (NXDOMAIN): receivers reject mail from it", $"create the domain {domain} and give it an MX")];
        }

        if (mx.Records.Count > 0)
        {
            var real = mx.Records.Where(r => r.Exchange.Length > 0).OrderBy(r => r.Preference).ToList();
            if (real.Count == 0)
            {
                return [new DoctorCheck(Area, CheckStatus.Fail, $"{domain} publishes a null MX (RFC 7505): it accepts no mail, so bounces are lost and receivers may refuse its mail",
                    $"point the MX of {domain} at a server that accepts bounces")];
            }

            var list = string.Join(", ", real.Select(r => $"{r.Preference} {r.Exchange}"));
            return [new DoctorCheck(Area, CheckStatus.Pass, $"bounces to {domain} go to MX {list}", null, list)];
        }

        var a = await _dns.QueryAAsync(domain, cancellationToken).ConfigureAwait(false);
        var aaaa = await _dns.QueryAaaaAsync(domain, cancellationToken).ConfigureAwait(false);
        if (a.IsTransient || aaaa.IsTransient)
        {
            return [CouldNotCheck(Area, "A/AAAA", domain, a.IsTransient ? a : aaaa)];
        }

        if (a.Records.Count + aaaa.Records.Count > 0)
        {
            return [new DoctorCheck(Area, CheckStatus.Warn, $"{domain} has no MX; bounces go to its address record (implicit MX)",
                $"publish an MX for {domain} naming the server that receives bounces")];
        }

        return [new DoctorCheck(Area, CheckStatus.Fail, $"{domain} has no MX and no address: bounces have nowhere to go",
            $"publish an MX for {domain}")];
    }
}
