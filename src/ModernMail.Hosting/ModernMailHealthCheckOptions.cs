namespace ModernMail.Hosting;

/// <summary>Configures the checks <c>AddModernMailHealthChecks</c> adds.</summary>
public sealed class ModernMailHealthCheckOptions
{
    /// <summary>The name whose A records the DNS check asks for; null asks for <see cref="BrokerConfig.HostName"/>'s.</summary>
    /// <remarks>Any answer (records, NODATA, NXDOMAIN) proves the resolvers work; only a failure to get one counts.</remarks>
    public string? DnsProbeName { get; set; }

    /// <summary>How long the DNS check waits for an answer before it reports <c>Degraded</c>.</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the queue worker may go without reaching the store before the worker check reports it stalled;
    /// null means three times the longer of <see cref="Queue.QueueOptions.PollInterval"/> and a third of <see cref="Queue.QueueOptions.LeaseDuration"/>
    /// (how often a live worker reaches the store at the least).</summary>
    public TimeSpan? WorkerStallTimeout { get; set; }
}
