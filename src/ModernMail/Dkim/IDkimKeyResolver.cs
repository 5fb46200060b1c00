using System.Collections.Generic;

namespace ModernMail.Dkim;

/// <summary>Finds the DKIM key records published at selector._domainkey.domain.</summary>
public interface IDkimKeyResolver
{
    /// <summary>Returns the TXT records at selector._domainkey.domain, each with its strings concatenated; empty when there is none.</summary>
    /// <exception cref="DkimKeyLookupException">A temporary failure (timeout, SERVFAIL) kept the answer from arriving.</exception>
    Task<IReadOnlyList<string>> GetKeyRecordsAsync(string selector, string domain, CancellationToken cancellationToken = default);
}
