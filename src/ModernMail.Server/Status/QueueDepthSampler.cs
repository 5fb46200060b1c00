using Microsoft.Extensions.Hosting;
using ModernMail.Queue;

namespace ModernMail.Server.Status;

/// <summary>Takes one <see cref="QueueDepthHistory"/> sample at start and then every <see cref="QueueDepthHistory.Interval"/>.</summary>
internal sealed class QueueDepthSampler(QueueDepthHistory history, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(QueueDepthHistory.Interval, time);
        do
        {
            try
            {
                await history.SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is QueueStoreException or TimeoutException)
            {
                // The gauge keeps the last counts of a store that is down; a sample that cannot be taken is a gap in the chart.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
