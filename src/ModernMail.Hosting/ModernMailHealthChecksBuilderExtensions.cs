using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModernMail.Hosting;
using ModernMail.Hosting.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds ModernMail's health checks to an <see cref="IHealthChecksBuilder"/>.</summary>
public static class ModernMailHealthChecksBuilderExtensions
{
    /// <summary>The name of the check that makes a cheap call to the queue store.</summary>
    public const string StoreCheckName = "modernmail-store";

    /// <summary>The name of the check that asks the configured DNS servers a question.</summary>
    public const string DnsCheckName = "modernmail-dns";

    /// <summary>The name of the check that the queue worker is running and reached the store recently.</summary>
    public const string WorkerCheckName = "modernmail-worker";

    /// <summary>Adds three checks: the queue store answers (<see cref="StoreCheckName"/>, tagged "ready"), DNS answers
    /// (<see cref="DnsCheckName"/>, "ready"; <c>Degraded</c> on a timeout) and the queue worker is alive (<see cref="WorkerCheckName"/>, "live").</summary>
    /// <param name="builder">The builder <c>AddHealthChecks()</c> returned.</param>
    /// <param name="configure">Configures what the checks ask and how long they wait.</param>
    /// <param name="tags">More tags for all three checks (each also carries "modernmail").</param>
    /// <remarks>Without a queue (<c>AddModernMail</c> alone) the store and worker checks report <c>Healthy</c> and say there is no queue.
    /// A failing check reports <see cref="HealthStatus.Unhealthy"/> with the store's or resolver's own message.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IHealthChecksBuilder AddModernMailHealthChecks(this IHealthChecksBuilder builder, Action<ModernMailHealthCheckOptions>? configure = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<ModernMailHealthCheckOptions>()
            .Validate(static o => o.DnsTimeout > TimeSpan.Zero, "ModernMailHealthCheckOptions:DnsTimeout must be positive.")
            .Validate(static o => o.WorkerStallTimeout is null || o.WorkerStallTimeout > TimeSpan.Zero, "ModernMailHealthCheckOptions:WorkerStallTimeout must be positive.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        string[] extra = tags is null ? [] : [.. tags];
        builder.Add(new HealthCheckRegistration(StoreCheckName, static provider => new QueueStoreHealthCheck(provider), null, ["modernmail", "ready", .. extra]));
        builder.Add(new HealthCheckRegistration(DnsCheckName, static provider => ActivatorUtilities.CreateInstance<DnsHealthCheck>(provider), null, ["modernmail", "ready", .. extra]));
        builder.Add(new HealthCheckRegistration(WorkerCheckName, static provider => ActivatorUtilities.CreateInstance<QueueWorkerHealthCheck>(provider), null, ["modernmail", "live", .. extra]));
        return builder;
    }
}
