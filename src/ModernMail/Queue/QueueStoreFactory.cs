using System;
using System.Collections.Concurrent;

namespace ModernMail.Queue;

/// <summary>Creates a queue store from a "scheme:location" string such as "sqlite:/var/spool/mail" or "postgres:Host=db;Database=mail".</summary>
public static class QueueStoreFactory
{
    private static readonly ConcurrentDictionary<string, Func<string, IQueueStore>> s_providers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers a store provider for a scheme (for example "postgres"); later registrations replace earlier ones.</summary>
    public static void Register(string scheme, Func<string, IQueueStore> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(create);
        s_providers[scheme] = create;
    }

    /// <summary>Creates the store <paramref name="store"/> names; a bare path means SQLite.</summary>
    /// <exception cref="ArgumentException">The scheme is unknown or its provider assembly is not available.</exception>
    public static IQueueStore Create(string store)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(store);
        int colon = store.IndexOf(':', StringComparison.Ordinal);
        // "C:\..." and "/path" are plain paths; a scheme is at least two letters.
        if (colon < 2)
        {
            return new SqliteQueueStore(store);
        }
        string scheme = store[..colon];
        string location = store[(colon + 1)..];
        if (scheme.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteQueueStore(location);
        }
        if (s_providers.TryGetValue(scheme, out var create))
        {
            return create(location);
        }
        if (scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
        {
            // Found by name so the core library needs no Npgsql reference; the app must reference ModernMail.PostgreSql.
            var type = Type.GetType("ModernMail.PostgreSql.PostgreSqlQueueStore, ModernMail.PostgreSql", throwOnError: false)
                ?? throw new ArgumentException("The 'postgres:' queue store needs the ModernMail.PostgreSql package.", nameof(store));
            return (IQueueStore)(Activator.CreateInstance(type, location)
                ?? throw new ArgumentException("Could not create the PostgreSQL queue store.", nameof(store)));
        }
        throw new ArgumentException($"Unknown queue store scheme '{scheme}'; use 'sqlite:PATH' or 'postgres:CONNECTION-STRING'.", nameof(store));
    }
}
