using System.Net.Sockets;
using ModernMail.Deliverability.Internal;
using ModernMail.Dns.Internal;

namespace ModernMail.Deliverability;

/// <summary>Works out the DNS records a setup needs: SPF, DKIM, DMARC, PTR and the HELO name's address.</summary>
public static class RecommendedRecords
{
    /// <summary>The SPF record that authorises exactly the setup's address: "v=spf1 ip4:192.0.2.1 -all".</summary>
    public static string SpfRecord(DeliverabilitySetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var mechanism = setup.Address.AddressFamily == AddressFamily.InterNetworkV6 && !setup.Address.IsIPv4MappedToIPv6 ? "ip6" : "ip4";
        return $"v=spf1 {mechanism}:{ReverseDns.Normalize(setup.Address)} -all";
    }

    /// <summary>The DMARC record to start with: monitoring only, aggregate reports to dmarc-reports@domain.</summary>
    public static string DmarcRecord(string domain) => $"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain.TrimEnd('.')}";

    /// <summary>The DKIM key record for a PEM private key: "v=DKIM1; k=rsa; p=&lt;SubjectPublicKeyInfo&gt;" or "k=ed25519; p=&lt;raw key&gt;" (RFC 8463).</summary>
    /// <returns>The record, or null when <paramref name="privateKeyPem"/> is null or not a key we can read.</returns>
    public static string? DkimRecordFromPrivateKey(string? privateKeyPem)
    {
        if (privateKeyPem is null || !DkimPrivateKey.TryGetPublicKey(privateKeyPem, out var keyType, out var publicKey, out _))
        {
            return null;
        }

        return $"v=DKIM1; k={keyType}; p={Convert.ToBase64String(publicKey)}";
    }

    /// <summary>Lists the records to publish for <paramref name="setup"/>, in the order to publish them.</summary>
    public static IReadOnlyList<RecommendedRecord> Create(DeliverabilitySetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var domain = setup.Domain.TrimEnd('.');
        var helo = setup.HeloName.TrimEnd('.');
        var address = ReverseDns.Normalize(setup.Address);
        var records = new List<RecommendedRecord>
        {
            new(setup.EffectiveMailFromDomain, "TXT", SpfRecord(setup),
                "SPF: authorises this address to send for the domain. Publish only one SPF record; if other services send for the domain, add their include: terms before -all.",
                "domain DNS"),
        };

        if (setup.DkimSelector is { Length: > 0 } selector)
        {
            records.Add(new($"{selector}._domainkey.{setup.EffectiveDkimDomain}", "TXT",
                setup.DkimRecord ?? DkimRecordFromPrivateKey(setup.DkimPrivateKeyPem) ?? "v=DKIM1; k=rsa; p=<base64 public key>",
                "DKIM: the public key receivers use to verify signatures made with this selector.", "domain DNS"));
        }

        records.Add(new($"_dmarc.{domain}", "TXT", DmarcRecord(domain),
            "DMARC: starts in monitoring mode (p=none); move to p=quarantine or p=reject once the reports show only your mail.",
            "domain DNS"));
        records.Add(new(ReverseDns.GetName(address), "PTR", helo,
            "Reverse DNS: the address must resolve back to the HELO name. Set by whoever owns the address (hosting provider, ISP).",
            "owner of the IP address"));
        records.Add(new(helo, address.AddressFamily == AddressFamily.InterNetworkV6 ? "AAAA" : "A", address.ToString(),
            "The HELO name must resolve to the sending address, so the PTR forward-confirms.", "domain DNS"));
        return records;
    }
}
