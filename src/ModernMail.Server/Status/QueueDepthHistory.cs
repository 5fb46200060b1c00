using ModernMail.Diagnostics;
using ModernMail.Queue;

namespace ModernMail.Server.Status;

/// <summary>The last hour of queue depth for the status page: a bounded ring of samples, one per <see cref="Interval"/>, in memory only
/// (a restart starts an empty chart).</summary>
/// <remarks>Every sample and the page's "now" come from <see cref="QueueDepthGauge.ReadAsync"/>: the count <c>/metrics</c> reports, asked of
/// the store at most once per 5 seconds however many scrapes, pages and samples there are.</remarks>
internal sealed class QueueDepthHistory(IQueueStore store, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    public const int Capacity = 120;

    private readonly Lock _lock = new();
    private readonly QueueDepthSample[] _ring = new QueueDepthSample[Capacity];
    private int _next;
    private int _count;

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<QueueDepthSample> Samples
    {
        get
        {
            lock (_lock)
            {
                var samples = new QueueDepthSample[_count];
                for (int i = 0; i < _count; i++)
                {
                    samples[i] = _ring[(_next - _count + i + Capacity) % Capacity];
                }
                return samples;
            }
        }
    }

    /// <summary>The current depth (at most 5 seconds old); null while the worker has not registered the store or it cannot count.</summary>
    public async Task<QueueDepthSample?> ReadAsync(CancellationToken cancellationToken)
    {
        var counts = await QueueDepthGauge.ReadAsync(store, cancellationToken).ConfigureAwait(false);
        return counts is null ? null : new QueueDepthSample(time.GetUtcNow(), Count(counts, RecipientState.Queued), Count(counts, RecipientState.Delivering),
            Count(counts, RecipientState.Deferred));
    }

    /// <summary>Reads the current depth and appends it, overwriting the oldest sample once the ring is full.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        if (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } sample)
        {
            lock (_lock)
            {
                _ring[_next] = sample;
                _next = (_next + 1) % Capacity;
                _count = Math.Min(_count + 1, Capacity);
            }
        }
    }

    private static long Count(IReadOnlyDictionary<RecipientState, long> counts, RecipientState state) => counts.TryGetValue(state, out long n) ? n : 0;
}
