using ModernMail.PostgreSql.Internal;
using ModernMail.Queue;
using ModernMail.Server.Configuration;
using ModernMail.Tls.Internal;

namespace ModernMail.Server.Internal;

/// <summary>Where the server keeps MTA-STS policies and TLS-RPT counts: with the queue, so nodes that share a PostgreSQL
/// queue share them too; a SQLite queue keeps them in DATA/tls.db.</summary>
internal sealed class TlsStateStores : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owned;

    private TlsStateStores(IMtaStsPolicyStore policies, ITlsReportStore reports, IAsyncDisposable? owned)
    {
        Policies = policies;
        Reports = reports;
        _owned = owned;
    }

    public IMtaStsPolicyStore Policies { get; }

    public ITlsReportStore Reports { get; }

    /// <summary>True when the state lives in PostgreSQL.</summary>
    public bool Shared => _owned is not null;

    /// <summary>The connection string when the queue is in PostgreSQL (shared by the nodes of a cluster); null for SQLite.</summary>
    public static string? PostgreSqlLocation(MailServerSettings settings) =>
        QueueStoreFactory.TrySplitScheme(settings.EffectiveStore, out string? scheme, out string location)
            && (scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            ? location
            : null;

    public static TlsStateStores Open(MailServerSettings settings)
    {
        if (PostgreSqlLocation(settings) is { } location)
        {
            var store = new PostgreSqlTlsStore(location);
            return new TlsStateStores(store, store, store);
        }
        Directory.CreateDirectory(settings.DataDirectory);
        string path = Path.Combine(settings.DataDirectory, "tls.db");
        var sqlite = new SqliteTlsStore(path);
        return new TlsStateStores(sqlite, sqlite, null);
    }

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
