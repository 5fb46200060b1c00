using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModernMail.Queue;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Idempotency;

/// <summary>Deletes idempotency records older than the 24-hour window, at start and then hourly, so the table stays small.</summary>
internal sealed class IdempotencyPurgeService(IServerStore store, TimeProvider time, ILogger<IdempotencyPurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await store.PurgeIdempotencyAsync(time.GetUtcNow() - IdempotencyGate.Window, stoppingToken).ConfigureAwait(false);
            }
            catch (QueueStoreException ex)
            {
                // Expired records are ignored by lookups anyway; a failed purge only delays the cleanup.
                ServerLog.StoreFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
