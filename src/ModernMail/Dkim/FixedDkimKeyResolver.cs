using System;
using System.Collections.Generic;

namespace ModernMail.Dkim;

/// <summary>Serves DKIM key records from memory: one record for every lookup, or a record per "selector._domainkey.domain" name.</summary>
public sealed class FixedDkimKeyResolver : IDkimKeyResolver
{
    private readonly string? _record;
    private readonly Dictionary<string, string> _records = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Answers every lookup with <paramref name="record"/> (for verifying "with this key").</summary>
    public FixedDkimKeyResolver(string record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _record = record;
    }

    /// <summary>Answers lookups of the given names ("selector._domainkey.domain") with their records; other names have none.</summary>
    public FixedDkimKeyResolver(IEnumerable<KeyValuePair<string, string>> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (KeyValuePair<string, string> pair in records)
        {
            _records[pair.Key.TrimEnd('.')] = pair.Value;
        }
    }

    /// <summary>Answers lookups with the records of the given DNS records.</summary>
    public FixedDkimKeyResolver(params DkimDnsRecord[] records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (DkimDnsRecord record in records)
        {
            _records[record.Name] = record.Value;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetKeyRecordsAsync(string selector, string domain, CancellationToken cancellationToken = default)
    {
        if (_record is not null)
        {
            return Task.FromResult<IReadOnlyList<string>>([_record]);
        }

        return Task.FromResult<IReadOnlyList<string>>(
            _records.TryGetValue($"{selector}._domainkey.{domain.TrimEnd('.')}", out string? record) ? [record] : []);
    }
}
