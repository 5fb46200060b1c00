using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModernMail.Queue;

namespace ModernMail.Hosting.Internal;

/// <summary>Healthy while the queue worker runs and reached the store recently (<see cref="QueueWorker.LastActivity"/>).</summary>
internal sealed class QueueWorkerHealthCheck(IServiceProvider services, IOptions<ModernMailHealthCheckOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (services.GetService<QueueWorker>() is not { } worker)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No ModernMail queue worker is registered (MailBroker only)."));
        }
        var queue = services.GetRequiredService<MailQueue>().Options;
        var data = new Dictionary<string, object> { ["owner"] = worker.Owner, ["inFlight"] = worker.InFlight };
        if (!worker.IsRunning || worker.LastActivity is not { } last)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"The queue worker {worker.Owner} is not running.", data: data));
        }
        data["lastActivity"] = last;
        var limit = options.Value.WorkerStallTimeout ?? 3 * (queue.PollInterval > queue.LeaseDuration / 3 ? queue.PollInterval : queue.LeaseDuration / 3);
        var quiet = queue.TimeProvider.GetUtcNow() - last;
        return Task.FromResult(quiet > limit
            ? new HealthCheckResult(context.Registration.FailureStatus,
                $"The queue worker {worker.Owner} has not reached the store for {quiet} (limit {limit}): deliveries are stalled.", data: data)
            : HealthCheckResult.Healthy($"The queue worker {worker.Owner} is running ({worker.InFlight} deliveries in flight).", data));
    }
}
