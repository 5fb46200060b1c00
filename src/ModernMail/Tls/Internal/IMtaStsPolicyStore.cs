namespace ModernMail.Tls.Internal;

/// <summary>Where fetched MTA-STS policies outlive the process, so a policy fetched once protects later sends even if an
/// attacker then blocks the HTTPS fetch (RFC 8461 §3.3, §10.1).</summary>
internal interface IMtaStsPolicyStore
{
    /// <summary>The stored policy of <paramref name="domain"/>, expired or not; null when none is stored.</summary>
    Task<MtaStsPolicy?> LoadAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Stores (replaces) the policy of its domain.</summary>
    Task SaveAsync(MtaStsPolicy policy, CancellationToken cancellationToken);
}
