using System;
using System.Collections.Generic;

namespace ModernMail.Delivery.Shaping;

/// <summary>The limits for one destination: recipient domains, or a provider recognised by the suffix of its MX host names, so
/// that every domain a provider hosts shares one budget. Unset limits are not enforced.</summary>
public sealed class ShapingRule
{
    /// <summary>The destination's name in logs and status ("google", "example.com").</summary>
    public string Name { get; set; } = "";

    /// <summary>Recipient domains this rule is for (a domain also covers its subdomains).</summary>
    public IList<string> Domains { get; set; } = new List<string>();

    /// <summary>MX host name suffixes, e.g. ".google.com": a domain whose MX host ends with one is this provider's.</summary>
    public IList<string> MxSuffixes { get; set; } = new List<string>();

    /// <summary>Connections open at once (in use or idle in the pool).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>Messages sent over one connection before it is closed.</summary>
    public int? MaxMessagesPerConnection { get; set; }

    /// <summary>Messages (transactions) per minute, counted over any 60 seconds.</summary>
    public int? MessagesPerMinute { get; set; }

    /// <summary>Messages per hour, counted over any 60 minutes.</summary>
    public int? MessagesPerHour { get; set; }

    /// <summary>New connections per minute.</summary>
    public int? ConnectionsPerMinute { get; set; }

    /// <summary>A regular expression on the reply text that suspends the destination at once for <see cref="SuspendFor"/>
    /// (e.g. Yahoo's "[TSS04]"); null for none.</summary>
    public string? SuspendOnReply { get; set; }

    /// <summary>Consecutive throttling replies (classified <see cref="BounceCategory.RateLimited"/> or <see cref="BounceCategory.SpamBlock"/>,
    /// with no delivery in between) after which the destination is suspended; each one before halves its limits.</summary>
    public int? SuspendAfter { get; set; }

    /// <summary>How long a suspension lasts; deferred recipients wait, they do not bounce.</summary>
    public TimeSpan? SuspendFor { get; set; }

    /// <summary>The TLS policy for this destination instead of <see cref="BrokerConfig.Tls"/> (e.g. Required for a provider that
    /// asks for it); an MTA-STS enforce policy and REQUIRETLS still win. Null: the configured policy.</summary>
    public TlsPolicy? Tls { get; set; }

    /// <summary>Where the values come from (a provider's sender guidelines); shown in status, never used.</summary>
    public string? Source { get; set; }
}
