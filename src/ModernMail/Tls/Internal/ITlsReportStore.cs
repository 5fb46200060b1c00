namespace ModernMail.Tls.Internal;

/// <summary>Daily TLS session counts per policy and failure (the raw material of RFC 8460 reports), in the server's store:
/// SQLite next to the queue, or the PostgreSQL database several nodes share.</summary>
internal interface ITlsReportStore
{
    /// <summary>Adds session counts to their day's rows, in one transaction.</summary>
    Task AddAsync(IReadOnlyCollection<KeyValuePair<(DateOnly Day, TlsSessionOutcome Outcome), int>> counts, CancellationToken cancellationToken);

    /// <summary>The rows of <paramref name="day"/>, for one policy domain or all, ordered by domain, policy type, result and MX.</summary>
    Task<IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)>> ReadAsync(DateOnly day, string? domain, CancellationToken cancellationToken);
}
