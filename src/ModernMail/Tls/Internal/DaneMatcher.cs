using System.Security.Cryptography.X509Certificates;
using ModernMail.Internal;

namespace ModernMail.Tls.Internal;

/// <summary>Checks a TLS server's certificate chain against usable TLSA records (RFC 7672 §3, RFC 7671 §5).</summary>
internal static class DaneMatcher
{
    /// <summary>The most certificates of a presented chain that are compared with DANE-TA records; a server sends a few.</summary>
    internal const int MaxChainCertificates = 16;

    /// <summary>Whether <paramref name="leaf"/> (with the rest of the presented chain) satisfies one of <paramref name="records"/>.</summary>
    /// <param name="records">The usable TLSA records of the host.</param>
    /// <param name="leaf">The server's certificate.</param>
    /// <param name="chain">The chain SslStream built; its elements and extra store are the other certificates the server sent.</param>
    /// <param name="host">The reference identifier for DANE-TA: the TLSA base domain, i.e. the MX host name (RFC 7672 §3.2.2).</param>
    /// <param name="verificationTime">The time DANE-TA chains are validated at.</param>
    public static DaneMatch Match(IReadOnlyList<TlsaRecord> records, X509Certificate2 leaf, X509Chain? chain, string host, DateTime verificationTime)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentException.ThrowIfNullOrEmpty(host);

        // DANE-EE(3): the leaf alone, no name check, no expiry check, no chain (RFC 7672 §3.1.1).
        var end = new TlsaCertificate(leaf);
        foreach (var record in records)
        {
            if (record.Usage == TlsaUsage.DaneEe && end.Matches(record))
            {
                return new DaneMatch(true, $"DANE-EE(3) record {Describe(record)} matches the server certificate");
            }
        }

        // DANE-TA(2): a certificate of the chain the server sent is the trust anchor; the chain must validate to it and
        // the leaf must name the host (RFC 7672 §3.1.2, §3.2).
        string? failure = null;
        if (records.Any(r => r.Usage == TlsaUsage.DaneTa))
        {
            var presented = Presented(leaf, chain);
            foreach (var candidate in presented)
            {
                var anchor = new TlsaCertificate(candidate);
                foreach (var record in records)
                {
                    if (record.Usage != TlsaUsage.DaneTa || !anchor.Matches(record))
                    {
                        continue;
                    }
                    string? problem = ValidateTo(candidate, leaf, presented, host, verificationTime);
                    if (problem is null)
                    {
                        return new DaneMatch(true, $"DANE-TA(2) record {Describe(record)} matches \"{Subject(candidate)}\", the chain validates to it and names {host}");
                    }
                    failure ??= $"DANE-TA(2) record {Describe(record)} matches \"{Subject(candidate)}\", but {problem}";
                }
            }
        }

        return new DaneMatch(false, failure ?? $"no TLSA record of {host} matches the server certificate or its chain ({records.Count} usable)");
    }

    /// <summary>Null when <paramref name="leaf"/> chains to <paramref name="anchor"/> and names <paramref name="host"/>; else the problem in words.</summary>
    private static string? ValidateTo(X509Certificate2 anchor, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> presented, string host, DateTime verificationTime)
    {
        // RFC 7672 §3.2.3: DNS subjectAltNames (the common name only without any), "*" only as a whole left-most label.
        if (!leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: true))
        {
            return $"the server certificate does not name {host}";
        }
        if (anchor.RawData.AsSpan().SequenceEqual(leaf.RawData))
        {
            return null;
        }

        using var builder = new X509Chain();
        var policy = builder.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(anchor);
        foreach (var certificate in presented)
        {
            policy.ExtraStore.Add(certificate);
        }
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = verificationTime;
        builder.Build(leaf);
        try
        {
            // The anchor need not be self-signed (an intermediate CA may be the TLSA trust anchor): the elements from the
            // leaf up to the anchor must be free of errors, and what lies beyond the anchor does not matter.
            foreach (var element in builder.ChainElements)
            {
                foreach (var status in element.ChainElementStatus)
                {
                    if (status.Status is not (X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
                    {
                        return $"\"{Subject(element.Certificate)}\" in the chain: {SafeText.Escape(status.StatusInformation.Trim())} ({status.Status})";
                    }
                }
                if (element.Certificate.RawData.AsSpan().SequenceEqual(anchor.RawData))
                {
                    return null;
                }
            }
            return "the server's chain does not lead to it";
        }
        finally
        {
            // The chain's elements are its own copies of the certificates.
            foreach (var element in builder.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    /// <summary>A certificate's subject for a reason string: the peer wrote it, so it is escaped and cut short.</summary>
    private static string Subject(X509Certificate2 certificate)
    {
        string subject = SafeText.Escape(certificate.Subject);
        return subject.Length > 120 ? subject[..120] + "..." : subject;
    }

    /// <summary>The leaf first, then the other certificates the server sent, each once, at most <see cref="MaxChainCertificates"/>.</summary>
    private static List<X509Certificate2> Presented(X509Certificate2 leaf, X509Chain? chain)
    {
        var presented = new List<X509Certificate2> { leaf };
        if (chain is null)
        {
            return presented;
        }
        foreach (var certificate in chain.ChainPolicy.ExtraStore)
        {
            Add(certificate);
        }
        foreach (var element in chain.ChainElements)
        {
            Add(element.Certificate);
        }
        return presented;

        void Add(X509Certificate2 certificate)
        {
            if (presented.Count < MaxChainCertificates && !presented.Any(p => p.RawData.AsSpan().SequenceEqual(certificate.RawData)))
            {
                presented.Add(certificate);
            }
        }
    }

    /// <summary>A record for a reason string: its three fields and the start of its data.</summary>
    internal static string Describe(TlsaRecord record)
    {
        string text = record.ToString();
        return text.Length > 24 ? text[..24] + "..." : text;
    }
}
