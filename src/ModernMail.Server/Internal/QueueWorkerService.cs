using Microsoft.Extensions.Hosting;
using ModernMail.Queue;

namespace ModernMail.Server.Internal;

/// <summary>Runs the <see cref="QueueWorker"/> inside the host; on stop, lets in-flight deliveries finish for the grace period.</summary>
internal sealed class QueueWorkerService(QueueWorker worker, TimeSpan grace) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => worker.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(grace);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await worker.StopAsync(linked.Token).ConfigureAwait(false);
    }
}
