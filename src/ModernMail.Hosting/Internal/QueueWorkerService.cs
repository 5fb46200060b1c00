using Microsoft.Extensions.Hosting;
using ModernMail.Queue;

namespace ModernMail.Hosting.Internal;

/// <summary>Runs a <see cref="QueueWorker"/> inside a host: started with the host, and on stop lets in-flight deliveries finish
/// until the host's shutdown timeout (or the grace period, when given, if that comes first), then gives the rest back to the queue.</summary>
/// <remarks>The one hosted wrapper of the worker: <c>AddModernMail().AddSqliteQueue(...)</c> and <c>mailbroker serve</c> both use it.</remarks>
internal sealed class QueueWorkerService : IHostedService
{
    private readonly Lazy<QueueWorker> _worker;
    private readonly TimeSpan? _grace;

    /// <summary>Runs <paramref name="worker"/>, stopping it within <paramref name="grace"/> (null: within the host's shutdown timeout).</summary>
    public QueueWorkerService(QueueWorker worker, TimeSpan? grace = null)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _worker = new Lazy<QueueWorker>(worker);
        _grace = grace;
    }

    /// <summary>Runs the worker <paramref name="worker"/> creates when the host starts.</summary>
    /// <remarks>The host resolves its hosted services before it runs the options' start validation; creating the worker (and so the
    /// queue's options) only in <see cref="StartAsync"/> lets that validation report every bad setting at once.</remarks>
    public QueueWorkerService(Func<QueueWorker> worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _worker = new Lazy<QueueWorker>(worker);
    }

    public Task StartAsync(CancellationToken cancellationToken) => _worker.Value.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_worker.IsValueCreated)
        {
            return;
        }
        if (_grace is not { } limit)
        {
            await _worker.Value.StopAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        using var timeout = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await _worker.Value.StopAsync(linked.Token).ConfigureAwait(false);
    }
}
