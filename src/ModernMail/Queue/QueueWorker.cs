using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net.Mail;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModernMail.Delivery;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;

namespace ModernMail.Queue;

/// <summary>Delivers due messages from a <see cref="MailQueue"/> through an <see cref="IMailTransport"/>, retrying transient failures and bouncing permanent ones.</summary>
/// <remarks>Shaped like an IHostedService (StartAsync/StopAsync) but needs no host. Several workers, in one process or on
/// many nodes, may share a store: each message is leased to one worker at a time, and a crashed worker's leases expire.</remarks>
public sealed class QueueWorker : IAsyncDisposable
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
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        _renewal = Task.Run(() => RenewAsync(_stopping.Token), CancellationToken.None);
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

    private async Task DeliverAsync(QueueLease lease, CancellationToken cancellationToken)
    {
        var stream = await _queue.Store.OpenMessageAsync(lease.Id, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var sender = lease.Sender is null ? null : new MailAddress(lease.Sender);
            var outcomes = new List<RecipientOutcome>(lease.Recipients.Count);
            var failed = new List<FailedRecipient>();
            var details = new Dictionary<int, string>();
            var addresses = new List<MailAddress>(lease.Recipients.Count);
            foreach (var recipient in lease.Recipients)
            {
                addresses.Add(new MailAddress(recipient.Address));
            }
            // One transport call per message: the transport groups by destination and runs them in parallel over one
            // reader of the stream; the gates only cap deliveries per domain across messages.
            IReadOnlyList<DeliveryResult> results;
            using (await _gates.AcquireAsync(addresses.Select(a => GateKey(a.Host)), cancellationToken).ConfigureAwait(false))
            {
                stream.Position = 0;
                try
                {
                    results = await _transport.DeliverAsync(new Envelope(sender, addresses) { RequireTls = lease.RequireTls }, stream, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The transport promises not to throw for delivery failures; if it does anyway, nobody got the message
                    // for sure, and whether it would work later is unknown: retry, the lifetime bounds it.
                    var synthetic = new List<DeliveryResult>(addresses.Count);
                    foreach (var address in addresses)
                    {
                        synthetic.Add(new DeliveryResult(address, delivered: false, isTransient: true) { Exception = ex, Detail = ex.Message });
                    }
                    results = synthetic;
                }
            }
            var now = _time.GetUtcNow();
            for (int i = 0; i < lease.Recipients.Count; i++)
            {
                var recipient = lease.Recipients[i];
                // Results come in envelope order; a result for another address is never attributed to this one.
                var result = i < results.Count && string.Equals(results[i].Recipient.Address, recipient.Address, StringComparison.OrdinalIgnoreCase) ? results[i] : null;
                var outcome = WithAttemptDetails(Decide(lease, recipient, result, now, out string detail), result);
                outcomes.Add(outcome);
                details[recipient.Index] = detail;
                if (outcome.State is RecipientState.Bounced or RecipientState.Expired)
                {
                    failed.Add(new FailedRecipient(recipient.Address, outcome.State, result?.Reply, detail, result?.MxHost));
                }
            }

            QueuedBounce? bounce = null;
            if (failed.Count > 0 && lease.Sender is { } originalSender && _options.SendBounces)
            {
                // Never bounce a bounce: the null reverse path (lease.Sender null) gets no DSN (RFC 5321 §4.5.5).
                stream.Position = 0;
                byte[] head = await DsnWriter.ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
                var bouncedAt = _time.GetUtcNow();
                string bounceId = _queue.NewId(bouncedAt);
                byte[] dsn = DsnWriter.Create(_options.HostName, originalSender, lease.CreatedAt, bouncedAt, failed, DsnWriter.HeaderBlock(head), bounceId);
                var envelope = new Envelope(null, [new MailAddress(originalSender)]);
                bounce = new QueuedBounce(new QueueEntry(bounceId, envelope, bouncedAt, bouncedAt + _options.MessageLifetime), dsn);
            }

            await CompleteAsync(lease, outcomes, bounce, cancellationToken).ConfigureAwait(false);
            if (bounce is not null)
            {
                QueueLog.BounceQueued(_logger, lease.Id, bounce.Entry.Id, lease.Sender ?? "", failed.Count);
                _queue.NotifyEnqueued();
            }
            foreach (var outcome in outcomes)
            {
                string address = AddressOf(lease, outcome.Index);
                QueueLog.RecipientUpdated(_logger, lease.Id, address, outcome.State, outcome.Attempts, outcome.LastReply);
                Raise(new QueueEventArgs(lease.Id, address, outcome.State, outcome.Attempts, outcome.NextAttemptAt, details[outcome.Index])
                {
                    BounceId = outcome.State is RecipientState.Bounced or RecipientState.Expired ? bounce?.Entry.Id : null,
                });
            }
        }
    }

    /// <summary>Where and how the attempt went, for the recipient's attempt history.</summary>
    private static RecipientOutcome WithAttemptDetails(RecipientOutcome outcome, DeliveryResult? result) => result is null ? outcome : outcome with
    {
        MxHost = result.MxHost,
        Tls = result.UsedTls ? $"{result.TlsProtocol} {result.TlsCipher}".Trim() : null,
        TlsPolicy = result.AppliedTlsPolicy,
    };

    private async Task CompleteAsync(QueueLease lease, List<RecipientOutcome> outcomes, QueuedBounce? bounce, CancellationToken cancellationToken)
    {
        // The outcome must be recorded: a store outage is waited out (the lease is renewed meanwhile) rather than dropping the result.
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await _queue.Store.CompleteAsync(lease, outcomes, bounce, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (QueueStoreException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                QueueLog.StoreError(_logger, ex, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.PollInterval.Ticks));
            }
        }
    }

    private RecipientOutcome Decide(QueueLease lease, LeasedRecipient recipient, DeliveryResult? result, DateTimeOffset now, out string detail)
    {
        int attempts = recipient.Attempts + 1;
        if (result is null)
        {
            detail = "the transport returned no result for this recipient";
            return Defer(lease, recipient.Index, attempts, now, detail);
        }
        detail = RetrySchedule.Describe(result);
        if (result.Delivered)
        {
            return new RecipientOutcome(recipient.Index, RecipientState.Delivered, attempts, null, detail);
        }
        if (!RetrySchedule.IsTransient(result))
        {
            return new RecipientOutcome(recipient.Index, RecipientState.Bounced, attempts, null, detail);
        }
        return Defer(lease, recipient.Index, attempts, now, detail);
    }

    private RecipientOutcome Defer(QueueLease lease, int index, int attempts, DateTimeOffset now, string detail)
    {
        if (now >= lease.ExpiresAt)
        {
            return new RecipientOutcome(index, RecipientState.Expired, attempts, null, detail);
        }
        TimeSpan delay;
        lock (_randomLock)
        {
            delay = RetrySchedule.Delay(attempts, _options, _random);
        }
        var next = now + delay;
        // One last attempt exactly at the deadline rather than expiring a recipient that might have succeeded.
        return new RecipientOutcome(index, RecipientState.Deferred, attempts, next < lease.ExpiresAt ? next : lease.ExpiresAt, detail);
    }

    /// <summary>The ASCII (punycode) form of a domain, so "bücher.example" and "xn--bcher-kva.example" share a gate.</summary>
    private static string GateKey(string domain)
    {
        try
        {
            return RecipientGrouper.ToAsciiDomain(domain);
        }
        catch (ArgumentException)
        {
            return domain.ToLowerInvariant();
        }
    }

    private static string AddressOf(QueueLease lease, int index)
    {
        foreach (var recipient in lease.Recipients)
        {
            if (recipient.Index == index)
            {
                return recipient.Address;
            }
        }
        return "";
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
