using System.Diagnostics.Metrics;
using ModernMail.Queue;

namespace ModernMail.Diagnostics;

/// <summary>The observable gauge <c>modernmail.queue.recipients</c>: recipients not yet final, by state, summed over the
/// stores that running queue workers deliver from.</summary>
/// <remarks>A scrape never waits for the database: it reports the last counts and, when they are older than
/// <see cref="RefreshInterval"/>, starts one query in the background, so a store is asked at most once per interval
/// however often it is scraped. A store that is down keeps its last counts; one that cannot count reports nothing.</remarks>
internal static class QueueDepthGauge
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private static readonly Lock s_lock = new();
    private static readonly Dictionary<IQueueStore, Source> s_sources = new(ReferenceEqualityComparer.Instance);
    private static readonly RecipientState[] s_states = [RecipientState.Queued, RecipientState.Delivering, RecipientState.Deferred];
    private static readonly string[] s_names = ["queued", "delivering", "deferred"];

    public static readonly ObservableGauge<long> Instrument = MailTelemetry.Meter.CreateObservableGauge(
        "modernmail.queue.recipients", Observe, "{recipient}", "Recipients not yet final (queued, delivering, deferred), by state; refreshed at most every 5 s.");

    /// <summary>Adds <paramref name="store"/> to the gauge until the registration is disposed (a store registered twice counts once).</summary>
    public static Registration Register(IQueueStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        Source source;
        lock (s_lock)
        {
            if (!s_sources.TryGetValue(store, out source!))
            {
                source = new Source(store, time);
                s_sources.Add(store, source);
            }
            source.References++;
        }
        // The first counts are there by the first scrape, if the store answers quickly.
        source.RefreshIfStale();
        return new Registration(store, source);
    }

    /// <summary>The counts the gauge reports for <paramref name="store"/>, refreshed first when older than <see cref="RefreshInterval"/>
    /// (the same query and the same once-per-interval limit as a scrape); null when no running worker registered the store or it cannot count.</summary>
    /// <remarks>For the status page's queue depth history, so the page and <c>/metrics</c> never disagree and the store is not asked twice.</remarks>
    public static async Task<IReadOnlyDictionary<RecipientState, long>?> ReadAsync(IQueueStore store, CancellationToken cancellationToken)
    {
        Source? source;
        lock (s_lock)
        {
            s_sources.TryGetValue(store, out source);
        }
        if (source is null)
        {
            return null;
        }
        source.RefreshIfStale();
        await source.Refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        return source.Last;
    }

    private static void Unregister(IQueueStore store)
    {
        lock (s_lock)
        {
            if (s_sources.TryGetValue(store, out var source) && --source.References == 0)
            {
                s_sources.Remove(store);
            }
        }
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        Source[] sources;
        lock (s_lock)
        {
            if (s_sources.Count == 0)
            {
                return [];
            }
            sources = [.. s_sources.Values];
        }
        var totals = new long[s_states.Length];
        bool any = false;
        foreach (var source in sources)
        {
            source.RefreshIfStale();
            if (source.Last is not { } counts)
            {
                continue;
            }
            any = true;
            for (int i = 0; i < s_states.Length; i++)
            {
                totals[i] += counts.TryGetValue(s_states[i], out long n) ? n : 0;
            }
        }
        if (!any)
        {
            return [];
        }
        var measurements = new Measurement<long>[s_states.Length];
        for (int i = 0; i < s_states.Length; i++)
        {
            measurements[i] = new Measurement<long>(totals[i], new KeyValuePair<string, object?>("state", s_names[i]));
        }
        return measurements;
    }

    /// <summary>One store's last counts and when they were asked for.</summary>
    internal sealed class Source(IQueueStore store, TimeProvider time)
    {
        private IReadOnlyDictionary<RecipientState, long>? _last;
        private long _askedAt;
        private bool _asked;
        private int _refreshing;
        private Task _refresh = Task.CompletedTask;
        private int _queries;

        public int References { get; set; }

        public IReadOnlyDictionary<RecipientState, long>? Last => Volatile.Read(ref _last);

        /// <summary>How many times the store was asked (for tests of the interval).</summary>
        public int Queries => Volatile.Read(ref _queries);

        /// <summary>The refresh in progress or the last one.</summary>
        public Task Refresh => Volatile.Read(ref _refresh);

        public void RefreshIfStale()
        {
            long now = time.GetTimestamp();
            if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
            {
                return;
            }
            if (_asked && time.GetElapsedTime(_askedAt, now) < RefreshInterval)
            {
                Volatile.Write(ref _refreshing, 0);
                return;
            }
            _asked = true;
            _askedAt = now;
            Interlocked.Increment(ref _queries);
            Volatile.Write(ref _refresh, RefreshAsync());
        }

        private async Task RefreshAsync()
        {
            try
            {
                using var timeout = new CancellationTokenSource(RefreshInterval, time);
                var counts = await store.CountPendingAsync(timeout.Token).ConfigureAwait(false);
                Volatile.Write(ref _last, counts);
            }
            catch (Exception ex) when (ex is QueueStoreException or OperationCanceledException or ObjectDisposedException)
            {
                // The store is down, slow or closing: keep the last counts; the next scrape after the interval asks again.
            }
            catch (NotSupportedException)
            {
                Volatile.Write(ref _last, null);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        }
    }

    /// <summary>Removes the store from the gauge when disposed.</summary>
    internal sealed class Registration(IQueueStore store, Source source) : IDisposable
    {
        private int _disposed;

        public Source Source { get; } = source;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Unregister(store);
            }
        }
    }
}
