using System.Net;

namespace ModernMail.Server.Smtp;

/// <summary>Counts failed logins per client address over a sliding window and refuses an address that had too many.</summary>
/// <remarks>Memory is bounded: at most <see cref="MaxTrackedAddresses"/> addresses are kept; past that, the addresses whose
/// failures and block have all expired are dropped, and if that is not enough the map is cleared (an attacker that spreads
/// over more addresses than this gains nothing over the per-address limit anyway).</remarks>
internal sealed class AuthFailureTracker
{
    public const int MaxTrackedAddresses = 100_000;

    private readonly object _lock = new();
    private readonly Dictionary<IPAddress, Entry> _entries = new();
    private readonly int _limit;
    private readonly TimeSpan _window;
    private readonly TimeSpan _block;
    private readonly TimeProvider _time;

    public AuthFailureTracker(int limit, TimeSpan window, TimeSpan block, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _window = window;
        _block = block;
        _time = time;
    }

    /// <summary>Whether <paramref name="address"/> is refused right now.</summary>
    public bool IsBlocked(IPAddress address)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(address, out var entry) && entry.BlockedUntil > _time.GetUtcNow();
        }
    }

    /// <summary>Records a failed login; returns true when this failure (or an earlier one) has the address refused.</summary>
    public bool RecordFailure(IPAddress address)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(address, out var entry))
            {
                if (_entries.Count >= MaxTrackedAddresses)
                {
                    Prune(now);
                }
                entry = new Entry();
                _entries[address] = entry;
            }
            if (entry.BlockedUntil > now)
            {
                return true;
            }
            while (entry.Failures.Count > 0 && entry.Failures.Peek() <= now - _window)
            {
                entry.Failures.Dequeue();
            }
            entry.Failures.Enqueue(now);
            entry.LastFailure = now;
            if (entry.Failures.Count >= _limit)
            {
                entry.Failures.Clear();
                entry.BlockedUntil = now + _block;
                return true;
            }
            return false;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, entry) in _entries.ToList())
        {
            if (entry.BlockedUntil <= now && entry.LastFailure <= now - _window)
            {
                _entries.Remove(address);
            }
        }
        if (_entries.Count >= MaxTrackedAddresses)
        {
            _entries.Clear();
        }
    }

    private sealed class Entry
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public DateTimeOffset BlockedUntil { get; set; }

        public DateTimeOffset LastFailure { get; set; }
    }
}
