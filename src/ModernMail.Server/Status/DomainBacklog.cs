namespace ModernMail.Server.Status;

/// <summary>The recipients not yet final for one recipient domain.</summary>
/// <param name="Domain">The recipient domain.</param>
/// <param name="Provider">The domain rolled up to a mailbox provider (google, outlook, yahoo, icloud or other), by domain name only.</param>
/// <param name="Queued">Recipients stored and never attempted.</param>
/// <param name="Delivering">Recipients a worker is delivering to now.</param>
/// <param name="Deferred">Recipients waiting for a retry.</param>
/// <param name="Deferrals">Finished attempts of these recipients (each one of a recipient still pending was a deferral).</param>
/// <param name="LastError">The most recent deferral's reply or error, or null.</param>
/// <param name="LastErrorAt">When that deferral happened.</param>
internal sealed record DomainBacklog(string Domain, string Provider, long Queued, long Delivering, long Deferred, long Deferrals, string? LastError,
    DateTimeOffset? LastErrorAt);

/// <summary>The per-destination table: busiest first, and whether it covers only the oldest <see cref="StatusReader.DestinationScanLimit"/> pending messages.</summary>
internal sealed record DomainBacklogList(IReadOnlyList<DomainBacklog> Destinations, bool Truncated);
