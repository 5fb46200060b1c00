using System.Collections.Concurrent;

namespace ModernMail.Tls.Internal;

/// <summary>Counts TLS session outcomes in memory and writes them to the <see cref="ITlsReportStore"/> in batches, so a
/// delivery never waits for a report write.</summary>
/// <remarks>Counts are statistics: those of the last flush interval are lost if the process is killed, which RFC 8460
/// reports tolerate (they are best-effort aggregates). Days are UTC, as report date ranges are.</remarks>
internal sealed class TlsReportRecorder : IAsyncDisposable
{
    private readonly ITlsReportStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flusher;

    public TlsReportRecorder(ITlsReportStore store, TimeProvider? time = null, TimeSpan? flushInterval = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        _flusher = FlushPeriodicallyAsync(flushInterval ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Counts one session.</summary>
    public void Record(TlsSessionOutcome outcome)
    {
        var day = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        string key = TlsStateSql.Key(day, outcome);
        var entry = _pending.GetOrAdd(key, _ => new Entry(day, outcome));
        Interlocked.Increment(ref entry.Count);
    }

    /// <summary>Writes what was counted since the last flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var batch = new List<KeyValuePair<(DateOnly, TlsSessionOutcome), int>>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var entry))
            {
                // A Record racing with this removal can add to the removed entry after it is read; that one count is lost (statistics).
                batch.Add(new(((entry.Day, entry.Outcome)), Volatile.Read(ref entry.Count)));
            }
        }
        await _store.AddAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private async Task FlushPeriodicallyAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
                {
                    // A failed report write loses that batch's counts; delivery is unaffected.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _flusher.ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Entry(DateOnly day, TlsSessionOutcome outcome)
    {
        public readonly DateOnly Day = day;
        public readonly TlsSessionOutcome Outcome = outcome;
        public int Count;
    }
}
