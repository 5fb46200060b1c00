using System.Globalization;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Keys;

/// <summary>Creates, lists, revokes and checks API keys over an <see cref="IServerStore"/>.</summary>
internal sealed class ApiKeyService
{
    private readonly IServerStore _store;
    private readonly TimeProvider _time;

    public ApiKeyService(IServerStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Creates a key limited to <paramref name="domains"/> (empty: any sender domain); returns it with its secret, which is not stored.</summary>
    /// <exception cref="ArgumentException">The name or a domain is invalid, or an active key already has the name.</exception>
    public async Task<(StoredApiKey Key, string Secret)> CreateAsync(string name, IReadOnlyList<string> domains, CancellationToken cancellationToken)
    {
        ValidateName(name);
        var normalized = new List<string>();
        foreach (string domain in domains)
        {
            string d = domain.Trim().TrimEnd('.').ToLowerInvariant();
            if (Uri.CheckHostName(d) != UriHostNameType.Dns || !d.Contains('.', StringComparison.Ordinal))
            {
                throw new ArgumentException($"--domain: \"{domain}\" is not a domain name.", nameof(domains));
            }
            if (!normalized.Contains(d))
            {
                normalized.Add(d);
            }
        }
        // A collision of the 48-bit lookup id is astronomically unlikely; retry anyway rather than fail on the primary key.
        for (int attempt = 0; ; attempt++)
        {
            string secret = ApiKeySecret.Generate();
            ApiKeySecret.TryGetId(secret, out string? id);
            if (id is null || await _store.FindKeyAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                if (attempt < 3)
                {
                    continue;
                }
                throw new InvalidOperationException("Could not generate a unique API key id.");
            }
            var key = new StoredApiKey(id, name, ApiKeySecret.Hash(secret), normalized, _time.GetUtcNow(), null);
            if (!await _store.InsertKeyAsync(key, cancellationToken).ConfigureAwait(false))
            {
                throw new ArgumentException($"--name: an active key is already named \"{name}\"; revoke it first or pick another name.", nameof(name));
            }
            return (key, secret);
        }
    }

    /// <summary>The active key whose secret this is; null for anything else (malformed, unknown, wrong, revoked).</summary>
    public async Task<StoredApiKey?> AuthenticateAsync(string secret, CancellationToken cancellationToken)
    {
        if (!ApiKeySecret.TryGetId(secret, out string? id))
        {
            return null;
        }
        StoredApiKey? key = await _store.FindKeyAsync(id, cancellationToken).ConfigureAwait(false);
        // Read per request, not cached: a key revoked with the CLI stops working at once, in every server process.
        return key is not null && key.IsActive && ApiKeySecret.Matches(secret, key.SecretHash) ? key : null;
    }

    public Task<IReadOnlyList<StoredApiKey>> ListAsync(CancellationToken cancellationToken) => _store.ListKeysAsync(cancellationToken);

    public Task<bool> RevokeAsync(string nameOrId, CancellationToken cancellationToken) => _store.RevokeKeyAsync(nameOrId, _time.GetUtcNow(), cancellationToken);

    private static void ValidateName(string name)
    {
        // The name is the SMTP AUTH user name too: printable ASCII, no spaces, bounded.
        if (name.Length is 0 or > 64 || name.AsSpan().ContainsAnyExceptInRange('!', '~'))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--name: \"{name}\" must be 1 to 64 printable ASCII characters without spaces."), nameof(name));
        }
    }
}
