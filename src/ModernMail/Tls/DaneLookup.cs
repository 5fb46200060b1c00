using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ModernMail.Tls.Internal;

namespace ModernMail.Tls;

/// <summary>What DANE (RFC 7672) says about one MX host: its status, its authenticated TLSA records, and a check of the
/// certificate the host presents in the TLS handshake.</summary>
public sealed class DaneLookup
{
    private readonly TimeProvider _time;

    internal DaneLookup(string host, int port, DaneStatus status, IReadOnlyList<TlsaRecord> records, string reason, TimeProvider time)
    {
        Host = host;
        Port = port;
        Status = status;
        Records = records;
        UsableRecords = records.Where(r => r.IsUsable).ToArray();
        Reason = reason;
        _time = time;
    }

    /// <summary>The MX host name (the TLSA base domain), lower case, without the trailing dot.</summary>
    public string Host { get; }

    /// <summary>The TCP port the TLSA records are for (25 for SMTP).</summary>
    public int Port { get; }

    /// <summary>The owner name of the TLSA records: <c>_PORT._tcp.HOST</c>.</summary>
    public string TlsaName => string.Create(CultureInfo.InvariantCulture, $"_{Port}._tcp.{Host}");

    /// <summary>What DANE says about the host.</summary>
    public DaneStatus Status { get; }

    /// <summary>The authenticated TLSA records, usable or not; empty unless <see cref="Status"/> is <see cref="DaneStatus.Usable"/> or <see cref="DaneStatus.Unusable"/>.</summary>
    public IReadOnlyList<TlsaRecord> Records { get; }

    /// <summary>The records an SMTP client can use (<see cref="TlsaRecord.IsUsable"/>); not empty exactly when <see cref="Status"/> is <see cref="DaneStatus.Usable"/>.</summary>
    public IReadOnlyList<TlsaRecord> UsableRecords { get; }

    /// <summary>Why the status is what it is, for logs, delivery results and TLS reports.</summary>
    public string Reason { get; }

    /// <summary>True when the host must not receive mail in clear text: STARTTLS is mandatory (<see cref="DaneStatus.Usable"/> or <see cref="DaneStatus.Unusable"/>).</summary>
    public bool RequiresTls => Status is DaneStatus.Usable or DaneStatus.Unusable;

    /// <summary>True when the server's certificate must be checked with <see cref="Matches"/> instead of WebPKI (<see cref="DaneStatus.Usable"/>).</summary>
    public bool AuthenticatesByTlsa => Status == DaneStatus.Usable;

    /// <summary>True when delivery to this host must be deferred without connecting: the TLSA lookup failed (<see cref="DaneStatus.Failed"/>).</summary>
    public bool MustDefer => Status == DaneStatus.Failed;

    /// <summary>Checks the certificate the server presented, as SslStream's RemoteCertificateValidationCallback gives it.</summary>
    /// <param name="certificate">The server's (leaf) certificate.</param>
    /// <param name="chain">The chain from the callback, or null; its certificates are the candidates for DANE-TA(2) records.</param>
    /// <param name="host">The name a DANE-TA(2) chain's leaf must carry; null for <see cref="Host"/>, the MX host name
    /// (RFC 7672 §3.2.2; the next-hop domain is acceptable too, but only when the MX lookup was DNSSEC-secure).</param>
    /// <returns>
    /// With <see cref="DaneStatus.Usable"/>: a match when a DANE-EE(3) record matches the certificate or its public key (no
    /// name or expiry checks), or a DANE-TA(2) record matches a certificate of the chain, the chain validates to it and
    /// the certificate names the host. With <see cref="DaneStatus.Failed"/>: never a match. Otherwise DANE places no
    /// condition on the certificate, so it matches (other policies, such as MTA-STS, may still apply).
    /// </returns>
    public DaneMatch Matches(X509Certificate2 certificate, X509Chain? chain, string? host = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Status switch
        {
            DaneStatus.Usable => DaneMatcher.Match(UsableRecords, certificate, chain, (host ?? Host).TrimEnd('.'), _time.GetUtcNow().UtcDateTime),
            DaneStatus.Failed => new DaneMatch(false, Reason),
            DaneStatus.Unusable => new DaneMatch(true, $"{TlsaName} has no usable TLSA record: TLS required, certificate not checked"),
            _ => new DaneMatch(true, $"DANE does not apply to {Host}: {Reason}"),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{TlsaName}: {Status} ({Reason})";
}
