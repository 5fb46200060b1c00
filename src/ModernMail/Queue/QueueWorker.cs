using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net.Mail;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModernMail.Delivery;
using ModernMail.Diagnostics;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;

namespace ModernMail.Queue;

/// <summary>Delivers due messages from a <see cref="MailQueue"/> through an <see cref="IMailTransport"/>, retrying transient failures and bouncing permanent ones.</summary>
/// <remarks>Shaped like an IHostedService (StartAsync/StopAsync) but needs no host. Several workers, in one process or on
/// many nodes, may share a store: each message is leased to one worker at a time, and a crashed worker's leases expire.</remarks>
public sealed partial class QueueWorker : IAsyncDisposable
{
    private readonly MailQueue _queue;
    private readonly IMailTransport _transport;
    private readonly QueueOptions _options;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly DomainGates _gates;
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _randomLock = new();
    private CancellationTokenSource? _stopping;
    private CancellationTokenSource? _aborting;
    private Task? _loop;
    private Task? _renewal;
    private QueueDepthGauge.Registration? _depth;
    private long _lastActivityTicks;

    /// <summary>Creates a worker for <paramref name="queue"/> that delivers through <paramref name="transport"/>.</summary>
    public QueueWorker(MailQueue queue, IMailTransport transport, ILogger<QueueWorker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(transport);
        _queue = queue;
        _transport = transport;
        _options = queue.Options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = _options.Random ?? Random.Shared;
        _time = _options.TimeProvider;
        _slots = new SemaphoreSlim(_options.MaxConcurrentDeliveries, _options.MaxConcurrentDeliveries);
        _gates = new DomainGates(_options.MaxConcurrentPerDomain);
        Owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The name this worker's leases carry in the store (host:pid:random).</summary>
    public string Owner { get; }

    /// <summary>Raised after a recipient's new state (delivered, deferred, bounced, expired) is committed to the store.</summary>
    /// <remarks>Raised on a worker thread; a handler that throws is logged and ignored.</remarks>
    public event EventHandler<QueueEventArgs>? RecipientUpdated;

    /// <summary>How many messages are being delivered right now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Whether the delivery loop started by <see cref="StartAsync"/> is running (false before start, after stop, or if the loop ended).</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>When the running worker last talked to the store successfully (leased due messages, or renewed the leases of
    /// deliveries in flight); null before <see cref="StartAsync"/>.</summary>
    /// <remarks>A healthy worker refreshes it at least every <see cref="QueueOptions.PollInterval"/> while idle and every third of
    /// <see cref="QueueOptions.LeaseDuration"/> while busy; it stops moving while the store fails. Liveness checks compare it with the clock.</remarks>
    public DateTimeOffset? LastActivity => Interlocked.Read(ref _lastActivityTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    private void MarkActivity() => Interlocked.Exchange(ref _lastActivityTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>Initializes the store and starts delivering in the background.</summary>
    /// <exception cref="QueueStoreException">The store is corrupt, locked or unreachable.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The worker is already running.");
        }
        await _queue.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        _stopping = new CancellationTokenSource();
        _aborting = new CancellationTokenSource();
        _queue.Enqueued += Wake;
        MarkActivity();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        _renewal = Task.Run(() => RenewAsync(_stopping.Token), CancellationToken.None);
        // The queue depth gauge counts this store while a worker delivers from it.
        _depth = QueueDepthGauge.Register(_queue.Store, _time);
        QueueLog.WorkerStarted(_logger, Owner, _options.Store);
    }

    /// <summary>Stops taking new messages and waits for in-flight deliveries; when <paramref name="cancellationToken"/> fires first,
    /// cancels them and gives their messages back to the queue.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is null || _stopping is null || _aborting is null)
        {
            return;
        }
        _queue.Enqueued -= Wake;
        _depth?.Dispose();
        _depth = null;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        int remaining = _inFlight.Count;
        try
        {
            await Task.WhenAll(_inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _aborting.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_inFlight.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_renewal is not null)
        {
            await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try
        {
            // Whatever did not finish goes back to the queue now instead of when the lease expires.
            await _queue.Store.ReleaseLeasesAsync(Owner, CancellationToken.None).ConfigureAwait(false);
        }
        catch (QueueStoreException ex)
        {
            QueueLog.StoreError(_logger, ex, _options.LeaseDuration);
        }
        QueueLog.WorkerStopped(_logger, Owner, remaining);
        _loop = null;
    }

    /// <summary>Delivers every message that is due now, waiting for each attempt, until nothing is due; returns how many messages were attempted.</summary>
    /// <remarks>For schedulers and tests that drive the queue themselves instead of calling <see cref="StartAsync"/>.</remarks>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        await _queue.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        int total = 0;
        while (true)
        {
            var leases = await _queue.Store.LeaseAsync(Owner, _time.GetUtcNow(), _options.LeaseDuration, _options.MaxConcurrentDeliveries, cancellationToken).ConfigureAwait(false);
            if (leases.Count == 0)
            {
                return total;
            }
            var tasks = new Task[leases.Count];
            for (int i = 0; i < leases.Count; i++)
            {
                tasks[i] = DeliverAsync(leases[i], cancellationToken);
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            total += leases.Count;
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            int taken = 0;
            try
            {
                await _slots.WaitAsync(stopping).ConfigureAwait(false);
                taken = 1;
                while (taken < _options.MaxConcurrentDeliveries && _slots.Wait(0, CancellationToken.None))
                {
                    taken++;
                }
                var leases = await _queue.Store.LeaseAsync(Owner, _time.GetUtcNow(), _options.LeaseDuration, taken, stopping).ConfigureAwait(false);
                MarkActivity();
                foreach (var lease in leases)
                {
                    taken--;
                    _inFlight[lease.Id] = RunOneAsync(lease);
                }
                if (taken > 0)
                {
                    _slots.Release(taken);
                    taken = 0;
                    await WaitForWorkAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A boundary: store outages (PostgreSQL restart, locked or full disk) must not kill the worker.
                QueueLog.StoreError(_logger, ex, _options.PollInterval);
                await DelayAsync(_options.PollInterval, stopping).ConfigureAwait(false);
            }
            finally
            {
                if (taken > 0)
                {
                    _slots.Release(taken);
                }
            }
        }
    }

    private async Task RunOneAsync(QueueLease lease)
    {
        await Task.Yield();
        try
        {
            await DeliverAsync(lease, _aborting?.Token ?? CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Hard stop: StopAsync releases the lease.
        }
        catch (Exception ex)
        {
            QueueLog.DeliveryCrashed(_logger, ex, lease.Id);
        }
        finally
        {
            _inFlight.TryRemove(lease.Id, out _);
            _slots.Release();
            Wake();
        }
    }

    private async Task WaitForWorkAsync(CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        var wait = _options.PollInterval;
        var next = await _queue.Store.GetNextDueAsync(stopping).ConfigureAwait(false);
        if (next is { } due)
        {
            var untilDue = due - now;
            if (untilDue < wait)
            {
                wait = untilDue <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilDue;
            }
        }
        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The due time or the poll interval came.
        }
    }

    private async Task RenewAsync(CancellationToken stopping)
    {
        var period = _options.LeaseDuration / 3;
        while (!stopping.IsCancellationRequested)
        {
            await DelayAsync(period, stopping).ConfigureAwait(false);
            if (_inFlight.IsEmpty)
            {
                continue;
            }
            try
            {
                await _queue.Store.RenewLeasesAsync(Owner, _time.GetUtcNow() + _options.LeaseDuration, stopping).ConfigureAwait(false);
                MarkActivity();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                QueueLog.StoreError(_logger, ex, period);
            }
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Raise(QueueEventArgs args)
    {
        try
        {
            RecipientUpdated?.Invoke(this, args);
        }
        catch (Exception ex)
        {
            QueueLog.HandlerFailed(_logger, ex, args.MessageId);
        }
    }

    /// <summary>Stops the worker if it is running (waiting for in-flight deliveries).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping?.Dispose();
        _aborting?.Dispose();
    }
}
