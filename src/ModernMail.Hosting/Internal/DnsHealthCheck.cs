using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModernMail.Dns;

namespace ModernMail.Hosting.Internal;

/// <summary>Healthy when the configured DNS servers answer (any answer); Degraded when they do not answer in time: mail then waits
/// in the queue (deferred, not lost) until DNS is back.</summary>
internal sealed class DnsHealthCheck(IDnsLookup dns, IOptions<BrokerConfig> broker, IOptions<ModernMailHealthCheckOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        string name = settings.DnsProbeName ?? broker.Value.HostName;
        var data = new Dictionary<string, object> { ["name"] = name };
        using var timeout = new CancellationTokenSource(settings.DnsTimeout, broker.Value.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        DnsQueryResult<IPAddress> result;
        try
        {
            result = await dns.QueryAAsync(name, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Degraded($"DNS: no answer for {name} (A) within {settings.DnsTimeout}.", data: data);
        }
        data["outcome"] = result.Outcome.ToString();
        return result.Outcome switch
        {
            DnsOutcome.Timeout => HealthCheckResult.Degraded($"DNS: {name} (A): {result.Describe()}.", data: data),
            DnsOutcome.ServerFailure => new HealthCheckResult(context.Registration.FailureStatus, $"DNS: {name} (A): {result.Describe()}.", data: data),
            _ => HealthCheckResult.Healthy($"DNS answers: {name} (A): {result.Describe()}.", data),
        };
    }
}
