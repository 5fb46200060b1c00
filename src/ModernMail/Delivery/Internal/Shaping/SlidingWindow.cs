namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>"At most N events in any period": the times of the last N events in a ring. Exact (no burst beyond N in any window,
/// unlike a token bucket refilled at N per period) and O(1) per event (times only grow); memory is N timestamps.</summary>
/// <remarks>Not thread-safe: <see cref="Destination"/> calls it under its lock.</remarks>
internal sealed class SlidingWindow
{
    private readonly long[] _times;
    private readonly TimeSpan _period;
    private int _next;
    private int _count;

    public SlidingWindow(int limit, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _times = new long[limit];
        _period = period;
    }

    public int Limit => _times.Length;

    /// <summary>Zero when fewer than <paramref name="limit"/> (at most <see cref="Limit"/>) events happened in the period before
    /// <paramref name="now"/>; else how long until one leaves the window.</summary>
    public TimeSpan Wait(DateTimeOffset now, int limit)
    {
        limit = Math.Clamp(limit, 1, _times.Length);
        long ticks = now.UtcTicks;
        // Times only grow, so "limit events in the window" is "the limit-th most recent one is still in it".
        if (_count >= limit && _times[Index(limit)] > ticks - _period.Ticks)
        {
            return TimeSpan.FromTicks(Math.Max(1, _times[Index(limit)] + _period.Ticks - ticks));
        }
        return TimeSpan.Zero;
    }

    /// <summary>Records an event at <paramref name="now"/>.</summary>
    public void Add(DateTimeOffset now)
    {
        _times[_next] = Math.Max(now.UtcTicks, _times[Index(1)]);
        _next = (_next + 1) % _times.Length;
        _count = Math.Min(_count + 1, _times.Length);
    }

    /// <summary>The slot of the k-th most recent event (k = 1 is the last one).</summary>
    private int Index(int k) => ((_next - k) % _times.Length + _times.Length) % _times.Length;
}
