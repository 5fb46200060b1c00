using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using ModernMail.Delivery.Shaping;

namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>One destination's budget: open connections (a slot per connection, held from connect to close), message and connection
/// rates over sliding windows, and the adaptive back-off (a factor on every limit, halved by each throttling reply and grown back
/// a quarter per quiet <see cref="TrafficShaping.RecoveryInterval"/>; a suspension after too many in a row).</summary>
internal sealed class Destination
{
    private const double MinFactor = 1.0 / 64;

    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _recovery;
    private readonly Regex? _suspendOn;
    private readonly SlidingWindow? _perMinute;
    private readonly SlidingWindow? _perHour;
    private readonly SlidingWindow? _connections;
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private readonly HashSet<string> _domains = new(StringComparer.OrdinalIgnoreCase);
    private int _open;
    private double _factor = 1;
    private DateTimeOffset _factorSince;
    private int _strikes;
    private DateTimeOffset? _suspendedUntil;
    private string? _lastError;
    private long _delivered;
    private long _throttled;

    /// <param name="name">The destination's name.</param>
    /// <param name="rule">The effective rule: every limit already merged with the default.</param>
    /// <param name="recovery">See <see cref="TrafficShaping.RecoveryInterval"/>.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where limit changes are logged.</param>
    public Destination(string name, ShapingRule rule, TimeSpan recovery, TimeProvider time, ILogger logger)
    {
        Name = name;
        Rule = rule;
        _recovery = recovery;
        _time = time;
        _logger = logger;
        _suspendOn = rule.SuspendOnReply is { Length: > 0 } pattern
            ? new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, TimeSpan.FromMilliseconds(100))
            : null;
        _perMinute = rule.MessagesPerMinute is int m ? new SlidingWindow(m, TimeSpan.FromMinutes(1)) : null;
        _perHour = rule.MessagesPerHour is int h ? new SlidingWindow(h, TimeSpan.FromHours(1)) : null;
        _connections = rule.ConnectionsPerMinute is int c ? new SlidingWindow(c, TimeSpan.FromMinutes(1)) : null;
    }

    public string Name { get; }

    public ShapingRule Rule { get; }

    /// <summary>Whether nothing is held here: no connection, no waiter, no back-off or suspension (so it may be forgotten).</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _open == 0 && _waiters.Count == 0 && _factor >= 1 && _suspendedUntil is null;
            }
        }
    }

    /// <summary>Remembers that <paramref name="domain"/> is routed here (for status: queued counts per destination).</summary>
    public void Note(string domain)
    {
        lock (_lock)
        {
            if (_domains.Count < 1000)
            {
                _domains.Add(domain);
            }
        }
    }

    /// <summary>When the current suspension ends; null when the destination may be used.</summary>
    public DateTimeOffset? SuspendedUntil(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_suspendedUntil is { } until && until <= now)
            {
                _suspendedUntil = null;
                ShapingLog.Resumed(_logger, Name);
            }
            return _suspendedUntil;
        }
    }

    /// <summary>Takes a message slot: zero when taken, else how long until the message rate allows one.</summary>
    public TimeSpan TakeMessage(DateTimeOffset now)
    {
        lock (_lock)
        {
            double factor = FactorAt(now);
            var wait = TimeSpan.Zero;
            if (_perMinute is not null)
            {
                wait = _perMinute.Wait(now, Scaled(Rule.MessagesPerMinute!.Value, factor));
            }
            if (_perHour is not null)
            {
                var hour = _perHour.Wait(now, Scaled(Rule.MessagesPerHour!.Value, factor));
                wait = hour > wait ? hour : wait;
            }
            if (wait > TimeSpan.Zero)
            {
                return wait;
            }
            _perMinute?.Add(now);
            _perHour?.Add(now);
            return TimeSpan.Zero;
        }
    }

    /// <summary>Takes a connection slot (released with <see cref="Release"/> when the connection closes).</summary>
    /// <returns>Zero when taken; <see cref="Timeout.InfiniteTimeSpan"/> when every slot is held (wait for <see cref="WaitAsync"/>);
    /// else how long until the connection rate allows one.</returns>
    public TimeSpan TryOpen(DateTimeOffset now)
    {
        lock (_lock)
        {
            double factor = FactorAt(now);
            if (Rule.MaxConnections is int max && _open >= Scaled(max, factor))
            {
                return Timeout.InfiniteTimeSpan;
            }
            if (_connections is not null)
            {
                var wait = _connections.Wait(now, Scaled(Rule.ConnectionsPerMinute!.Value, factor));
                if (wait > TimeSpan.Zero)
                {
                    return wait;
                }
                _connections.Add(now);
            }
            _open++;
            return TimeSpan.Zero;
        }
    }

    /// <summary>The message rate limits after back-off; null where unlimited.</summary>
    public (int? PerMinute, int? PerHour) RatesAt(DateTimeOffset now)
    {
        lock (_lock)
        {
            double factor = FactorAt(now);
            return (Rule.MessagesPerMinute is int m ? Scaled(m, factor) : null, Rule.MessagesPerHour is int h ? Scaled(h, factor) : null);
        }
    }

    /// <summary>The connection limit after back-off; null when unlimited.</summary>
    public int? MaxConnectionsAt(DateTimeOffset now)
    {
        lock (_lock)
        {
            return Rule.MaxConnections is int max ? Scaled(max, FactorAt(now)) : null;
        }
    }

    /// <summary>Gives back a connection slot and wakes a waiter.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _open = Math.Max(0, _open - 1);
        }
        Signal();
    }

    /// <summary>Wakes the first delivery waiting for a connection (a slot was freed, or a session came back to the pool).</summary>
    public void Signal()
    {
        TaskCompletionSource? first = null;
        lock (_lock)
        {
            if (_waiters.First is { } node)
            {
                first = node.Value;
                _waiters.RemoveFirst();
            }
        }
        first?.TrySetResult();
    }

    /// <summary>Whether deliveries are waiting for a connection here.</summary>
    public bool HasWaiters
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count > 0;
            }
        }
    }

    /// <summary>Waits until <see cref="Signal"/> or <paramref name="timeout"/>; false on timeout.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            node = _waiters.AddLast(waiter);
        }
        try
        {
            await waiter.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                }
            }
        }
    }

    /// <summary>A message was accepted: the run of throttling replies ends.</summary>
    public void Delivered()
    {
        lock (_lock)
        {
            _delivered++;
            _strikes = 0;
        }
    }

    /// <summary>A reply said "slow down" (rate limit or reputation): halve the limits, and suspend when the rule says so.</summary>
    public void Throttled(DateTimeOffset now, string reply)
    {
        lock (_lock)
        {
            _throttled++;
            _lastError = reply;
            _factor = Math.Max(MinFactor, FactorAt(now) / 2);
            _factorSince = now;
            _strikes++;
            bool suspend = _suspendOn?.IsMatch(reply) == true || (Rule.SuspendAfter is int after && _strikes >= after);
            if (suspend && Rule.SuspendFor is { } duration && duration > TimeSpan.Zero)
            {
                _suspendedUntil = now + duration;
                _strikes = 0;
                // Recovery starts when the suspension ends: the destination comes back at the reduced limits.
                _factorSince = _suspendedUntil.Value;
                ShapingLog.Suspended(_logger, Name, _suspendedUntil.Value, reply);
            }
            else
            {
                ShapingLog.SlowedDown(_logger, Name, _factor, reply);
            }
        }
    }

    public DestinationStatus Snapshot(DateTimeOffset now)
    {
        lock (_lock)
        {
            double factor = FactorAt(now);
            return new DestinationStatus(Name, Rule, _open, _waiters.Count, Rule.MaxConnections is int max ? Scaled(max, factor) : null, factor,
                _suspendedUntil > now ? _suspendedUntil : null, _lastError, _delivered, _throttled, [.. _domains.Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>The back-off factor now: the last halving, grown back a quarter per quiet recovery interval.</summary>
    private double FactorAt(DateTimeOffset now)
    {
        if (_factor >= 1)
        {
            return 1;
        }
        long steps = now <= _factorSince ? 0 : _recovery > TimeSpan.Zero ? (now - _factorSince).Ticks / _recovery.Ticks : long.MaxValue;
        double factor = Math.Min(1, _factor + (0.25 * Math.Min(steps, 8)));
        if (factor >= 1)
        {
            _factor = 1;
            ShapingLog.Recovered(_logger, Name);
        }
        return factor;
    }

    private static int Scaled(int limit, double factor) => Math.Max(1, (int)Math.Floor(limit * factor));
}
