using ModernMail.Smtp.Internal;

namespace ModernMail.Delivery.Internal;

/// <summary>Idle SMTP sessions kept per mail exchanger address so later sends skip connect, EHLO and TLS.</summary>
/// <remarks>Bounded per key; sessions idle longer than the timeout, broken sessions, sessions that sent their
/// quota and sessions with unread input are closed, never returned. Unread input (a duplicated reply, a 421 the
/// server sent while idle) would be read as the answer to the next command and shift every reply after it, so it is
/// checked both when a session comes back and again, without blocking, right before it is handed out.</remarks>
internal sealed class SmtpSessionPool : IAsyncDisposable
{
    private readonly Dictionary<string, Stack<(SmtpSession Session, long IdleSince)>> _idle = new(StringComparer.Ordinal);
    private readonly int _maxIdlePerKey;
    private readonly TimeSpan _idleTimeout;
    private readonly int _maxMessages;
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;
    private bool _disposed;

    public SmtpSessionPool(int maxIdlePerKey, TimeSpan idleTimeout, int maxMessages, TimeProvider time)
    {
        _maxIdlePerKey = maxIdlePerKey;
        _idleTimeout = idleTimeout;
        _maxMessages = maxMessages;
        _time = time;
        if (maxIdlePerKey > 0 && idleTimeout > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(static state => ((SmtpSessionPool)state!).Prune(), this, idleTimeout, idleTimeout);
        }
    }

    /// <summary>How many sessions are idle in the pool now.</summary>
    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                int n = 0;
                foreach (var stack in _idle.Values)
                {
                    n += stack.Count;
                }
                return n;
            }
        }
    }

    public static string KeyOf(string host, System.Net.IPEndPoint endPoint) => host + "|" + endPoint;

    /// <summary>Whether a session is idle for <paramref name="key"/> (it may still turn out dead when rented).</summary>
    public bool HasIdle(string key)
    {
        lock (_idle)
        {
            return _idle.TryGetValue(key, out var stack) && stack.Count > 0;
        }
    }

    /// <summary>Takes the most recently used live session for <paramref name="key"/>, if any.</summary>
    public bool TryRent(string key, out SmtpSession? session)
    {
        List<SmtpSession>? expired = null;
        session = null;
        lock (_idle)
        {
            if (_idle.TryGetValue(key, out var stack))
            {
                while (stack.TryPop(out var entry))
                {
                    if (IsReusable(entry.Session) && _time.GetElapsedTime(entry.IdleSince) < _idleTimeout)
                    {
                        session = entry.Session;
                        break;
                    }
                    (expired ??= []).Add(entry.Session);
                }
            }
        }
        CloseAll(expired);
        return session is not null;
    }

    /// <summary>Puts a session back for reuse, or closes it when it is broken, used up or the pool is full.</summary>
    public async Task ReturnAsync(string key, SmtpSession session, CancellationToken cancellationToken)
    {
        bool keep = false;
        if (IsReusable(session) && session.MessagesSent < Math.Min(_maxMessages, session.MaxMessages ?? int.MaxValue))
        {
            lock (_idle)
            {
                if (!_disposed && _maxIdlePerKey > 0)
                {
                    if (!_idle.TryGetValue(key, out var stack))
                    {
                        stack = new Stack<(SmtpSession, long)>();
                        _idle.Add(key, stack);
                    }
                    if (stack.Count < _maxIdlePerKey)
                    {
                        stack.Push((session, _time.GetTimestamp()));
                        keep = true;
                    }
                }
            }
        }
        if (!keep)
        {
            await session.QuitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes every idle session whose key starts with <paramref name="prefix"/> (a destination at its connection limit
    /// frees the slots its idle connections to other hosts hold).</summary>
    public void CloseIdle(string prefix)
    {
        List<SmtpSession>? closing = null;
        lock (_idle)
        {
            foreach (var (key, stack) in _idle)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    while (stack.TryPop(out var entry))
                    {
                        (closing ??= []).Add(entry.Session);
                    }
                }
            }
        }
        CloseAll(closing);
    }

    /// <summary>Closes sessions idle longer than the timeout.</summary>
    public void Prune()
    {
        List<SmtpSession>? expired = null;
        lock (_idle)
        {
            foreach (var (key, stack) in _idle)
            {
                if (stack.Count == 0)
                {
                    continue;
                }
                var keep = new List<(SmtpSession Session, long IdleSince)>(stack.Count);
                while (stack.TryPop(out var entry))
                {
                    if (_time.GetElapsedTime(entry.IdleSince) >= _idleTimeout || !IsReusable(entry.Session))
                    {
                        (expired ??= []).Add(entry.Session);
                    }
                    else
                    {
                        keep.Add(entry);
                    }
                }
                for (int i = keep.Count - 1; i >= 0; i--)
                {
                    stack.Push(keep[i]);
                }
            }
        }
        CloseAll(expired);
    }

    /// <summary>Ready and quiet; a session with unread input is marked broken, so closing it sends no QUIT into a stream out of step.</summary>
    private static bool IsReusable(SmtpSession session)
    {
        if (session.State != SmtpSessionState.Ready)
        {
            return false;
        }
        if (session.HasUnreadInput())
        {
            session.MarkBroken();
            return false;
        }
        return true;
    }

    private static void CloseAll(List<SmtpSession>? sessions)
    {
        if (sessions is null)
        {
            return;
        }
        foreach (var session in sessions)
        {
            _ = CloseQuietlyAsync(session);
        }
    }

    private static async Task CloseQuietlyAsync(SmtpSession session)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await session.QuitAsync(cts.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<SmtpSession> all = [];
        lock (_idle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var stack in _idle.Values)
            {
                while (stack.TryPop(out var entry))
                {
                    all.Add(entry.Session);
                }
            }
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var quits = new Task[all.Count];
        for (int i = 0; i < all.Count; i++)
        {
            quits[i] = all[i].QuitAsync(cts.Token);
        }
        await Task.WhenAll(quits).ConfigureAwait(false);
    }
}
