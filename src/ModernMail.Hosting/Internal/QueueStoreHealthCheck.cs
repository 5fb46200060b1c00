using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModernMail.Queue;

namespace ModernMail.Hosting.Internal;

/// <summary>Healthy when the queue store answers a cheap question (when is the next recipient due).</summary>
internal sealed class QueueStoreHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (services.GetService<MailQueue>() is not { } queue)
        {
            return HealthCheckResult.Healthy("No ModernMail queue is registered (MailBroker only).");
        }
        string store = QueueStoreFactory.Describe(queue.Options.Store);
        try
        {
            await queue.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
            var nextDue = await queue.Store.GetNextDueAsync(cancellationToken).ConfigureAwait(false);
            var data = new Dictionary<string, object> { ["store"] = store };
            if (nextDue is { } due)
            {
                data["nextDue"] = due;
            }
            return HealthCheckResult.Healthy($"The queue store {store} answers.", data);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A boundary: whatever the store threw is the check's answer; HealthCheckService logs it with the exception.
            return new HealthCheckResult(context.Registration.FailureStatus, $"The queue store {store} failed: {ex.Message}", ex);
        }
    }
}
