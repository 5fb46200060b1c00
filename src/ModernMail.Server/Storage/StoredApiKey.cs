namespace ModernMail.Server.Storage;

/// <summary>An API key as stored: never the secret, only its SHA-256 hash.</summary>
/// <param name="Id">The public lookup id (the first characters of the secret after "mm_").</param>
/// <param name="Name">The operator's name for the key (unique among active keys; the SMTP user name).</param>
/// <param name="SecretHash">SHA-256 of the whole secret.</param>
/// <param name="Domains">The sender domains the key may use; empty means any.</param>
/// <param name="CreatedAt">When the key was created.</param>
/// <param name="RevokedAt">When the key was revoked; null while it is active.</param>
public sealed record StoredApiKey(string Id, string Name, byte[] SecretHash, IReadOnlyList<string> Domains, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>True while the key has not been revoked.</summary>
    public bool IsActive => RevokedAt is null;

    /// <summary>Whether the key may send as <paramref name="domain"/>: the key has no domain list, or lists it (or a parent domain of it).</summary>
    public bool AllowsDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (Domains.Count == 0)
        {
            return true;
        }
        foreach (string allowed in Domains)
        {
            if (domain.Equals(allowed, StringComparison.OrdinalIgnoreCase)
                || (domain.Length > allowed.Length && domain.EndsWith("." + allowed, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }
}
