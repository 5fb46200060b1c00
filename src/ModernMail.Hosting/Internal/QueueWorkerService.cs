using Microsoft.Extensions.Hosting;
using ModernMail.Queue;

namespace ModernMail.Hosting.Internal;

/// <summary>Runs a <see cref="QueueWorker"/> inside a host: started with the host, and on stop lets in-flight deliveries finish
/// until the host's shutdown timeout (or <paramref name="grace"/>, when given, if that comes first), then gives the rest back to the queue.</summary>
/// <remarks>The one hosted wrapper of the worker: <c>AddModernMail().AddSqliteQueue(...)</c> and <c>mailbroker serve</c> both use it.</remarks>
internal sealed class QueueWorkerService(QueueWorker worker, TimeSpan? grace = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => worker.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (grace is not { } limit)
        {
            await worker.StopAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        using var timeout = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await worker.StopAsync(linked.Token).ConfigureAwait(false);
    }
}
