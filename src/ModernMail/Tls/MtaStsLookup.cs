namespace ModernMail.Tls;

/// <summary>What MTA-STS says for one recipient domain at the time of a delivery.</summary>
/// <param name="Policy">The policy that applies (fresh or cached), or null when the domain has none.</param>
/// <param name="FromCache">True when <paramref name="Policy"/> came from the cache rather than a fetch just now.</param>
/// <param name="Failure">Why a policy could not be fetched or parsed, as an RFC 8460 result type
/// (<c>sts-policy-fetch-error</c>, <c>sts-policy-invalid</c>, <c>sts-webpki-invalid</c>); null when nothing failed.</param>
/// <param name="FailureDetail">The failure in words, for logs and reports.</param>
public sealed record MtaStsLookup(MtaStsPolicy? Policy, bool FromCache, string? Failure = null, string? FailureDetail = null)
{
    /// <summary>No policy and nothing failed: the domain does not publish MTA-STS.</summary>
    public static readonly MtaStsLookup NoPolicy = new(null, false);

    /// <summary>True when the policy asks senders to enforce it.</summary>
    public bool IsEnforced => Policy?.Mode == MtaStsMode.Enforce;
}
