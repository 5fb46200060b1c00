using System;
using ModernMail.Dkim;

namespace ModernMail.Queue;

/// <summary>Configures the durable queue: where it is stored, how often it retries, how much it delivers at once.</summary>
public sealed class QueueOptions
{
    /// <summary>The store: "sqlite:/path/to/dir-or-file.db" (see <see cref="QueueStoreFactory"/>); ignored when <see cref="StoreFactory"/> is set,
    /// except as the store's name in messages.</summary>
    public string Store { get; set; } = "sqlite:queue";

    /// <summary>Creates the store for <see cref="MailQueue(QueueOptions)"/>, which then owns and disposes it; null opens <see cref="Store"/>.</summary>
    /// <example><c>StoreFactory = () =&gt; new PostgreSqlQueueStore("Host=db;Database=mail")</c> (ModernMail.PostgreSql).</example>
    public Func<IQueueStore>? StoreFactory { get; set; }

    /// <summary>The delay before the first retry of a deferred recipient.</summary>
    /// <remarks>300 s by default: greylisting servers commonly refuse retries sooner than five minutes.</remarks>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The longest delay between two attempts; the delay doubles after each failure up to this cap.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(4000);

    /// <summary>Up to this fraction of the delay is added at random, so deferred messages do not retry in lockstep.</summary>
    public double RetryJitter { get; set; } = 0.1;

    /// <summary>How long a message may stay in the queue; recipients still undelivered then are expired (and bounced).</summary>
    public TimeSpan MessageLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How many messages the worker delivers at the same time.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>How many deliveries may run at the same time to one recipient domain.</summary>
    public int MaxConcurrentPerDomain { get; set; } = 4;

    /// <summary>How long a worker owns a message it took; a crashed worker's messages return to the queue after this.</summary>
    /// <remarks>A running worker renews its leases every third of this period, so a slow delivery keeps its lease.</remarks>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest the worker sleeps before looking for due messages again (other nodes may enqueue).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether bounced and expired recipients produce an RFC 3464 delivery status notification to the envelope sender.</summary>
    public bool SendBounces { get; set; } = true;

    /// <summary>The host name named as Reporting-MTA in bounces and used in their Message-ID.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>The DKIM identities <see cref="MailQueue.EnqueueAsync(System.Net.Mail.MailMessage, CancellationToken)"/> signs with
    /// (in order; empty: not signed). Messages are composed with <see cref="HostName"/> in their Message-ID.</summary>
    public IList<DkimConfig> DkimSignatures { get; } = new List<DkimConfig>();

    /// <summary>The clock for schedules and timestamps.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The random source for retry jitter; null uses <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; set; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Store);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FirstRetryDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, FirstRetryDelay);
        ArgumentOutOfRangeException.ThrowIfNegative(RetryJitter);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MessageLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentDeliveries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentPerDomain, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LeaseDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
