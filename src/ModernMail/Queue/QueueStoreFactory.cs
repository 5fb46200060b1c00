using System;
using System.Diagnostics.CodeAnalysis;

namespace ModernMail.Queue;

/// <summary>Creates the built-in SQLite store from a "sqlite:PATH" string (or a bare path).</summary>
/// <remarks>
/// Other stores are constructed explicitly and handed over with <see cref="QueueOptions.StoreFactory"/>, for example
/// <c>StoreFactory = () =&gt; new PostgreSqlQueueStore(connectionString)</c> from ModernMail.PostgreSql. There is no
/// process-wide registry and no lookup by reflection: what a queue stores in is visible where it is configured.
/// </remarks>
public static class QueueStoreFactory
{
    /// <summary>Creates the store <paramref name="store"/> names: "sqlite:PATH", or a bare path, which means SQLite.</summary>
    /// <exception cref="ArgumentException">The string names another scheme ("postgres:" included: construct that store and pass it in).</exception>
    public static IQueueStore Create(string store)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(store);
        if (!TrySplitScheme(store, out string? scheme, out string location))
        {
            return new SqliteQueueStore(store);
        }
        if (scheme.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteQueueStore(location);
        }
        if (scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                "The 'postgres:' queue store is in ModernMail.PostgreSql: set QueueOptions.StoreFactory = () => new PostgreSqlQueueStore(connectionString).",
                nameof(store));
        }
        throw new ArgumentException($"Unknown queue store scheme '{scheme}'; use 'sqlite:PATH' or 'postgres:CONNECTION-STRING'.", nameof(store));
    }

    /// <summary>The store string fit for logs and consoles: a connection string loses its password (and any other secret key).</summary>
    internal static string Describe(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!TrySplitScheme(store, out string? scheme, out string location) || !location.Contains('=', StringComparison.Ordinal))
        {
            return store;
        }
        try
        {
            var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = location };
            foreach (string key in builder.Keys.Cast<string>().ToList())
            {
                if (key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase))
                {
                    builder[key] = "***";
                }
            }
            return scheme + ":" + builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            // Not a connection string we can parse: say only which kind of store it is.
            return scheme + ":(connection string)";
        }
    }

    /// <summary>Splits "scheme:location"; false for a plain path ("C:\..." and "/path": a scheme is at least two characters).</summary>
    internal static bool TrySplitScheme(string store, [NotNullWhen(true)] out string? scheme, out string location)
    {
        ArgumentNullException.ThrowIfNull(store);
        int colon = store.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2)
        {
            scheme = null;
            location = store;
            return false;
        }
        scheme = store[..colon];
        location = store[(colon + 1)..];
        return true;
    }
}
