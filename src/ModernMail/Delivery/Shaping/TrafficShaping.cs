using System;
using System.Collections.Generic;

namespace ModernMail.Delivery.Shaping;

/// <summary>Traffic shaping: per-destination limits (<see cref="Rules"/>, then the shipped provider defaults, then <see cref="Default"/>)
/// and the adaptive back-off that slows a destination down when its replies say so.</summary>
/// <remarks>A destination is the first rule that matches a recipient domain (by <see cref="ShapingRule.Domains"/>, then by the MX host
/// names' <see cref="ShapingRule.MxSuffixes"/>); domains that match none share a destination per MX host set under
/// <see cref="Default"/>. A limit not set in a rule is taken from <see cref="Default"/>. A static route
/// (<see cref="BrokerConfig.Routes"/>: a smart host) is shaped only by a rule that names it.</remarks>
public sealed class TrafficShaping
{
    /// <summary>Whether shaping applies at all (off: every destination unlimited, as before).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Your rules, matched before the shipped ones (a rule named like a shipped one replaces it).</summary>
    public IList<ShapingRule> Rules { get; set; } = new List<ShapingRule>();

    /// <summary>Whether the shipped rules for Gmail/Google Workspace, Outlook/Office 365, Yahoo/AOL and iCloud apply.</summary>
    public bool ProviderDefaults { get; set; } = true;

    /// <summary>The limits for everything else, and for what a rule leaves unset. Shipped: 10 connections, 100 new connections
    /// per minute, 100 messages per connection, 3 throttling replies in a row suspend for 15 minutes.</summary>
    public ShapingRule Default { get; set; } = new()
    {
        Name = "default",
        MaxConnections = 10,
        ConnectionsPerMinute = 100,
        MaxMessagesPerConnection = 100,
        SuspendAfter = 3,
        SuspendFor = TimeSpan.FromMinutes(15),
    };

    /// <summary>Local source addresses by sender domain; empty: the system picks the source address.</summary>
    public IList<SourcePool> SourcePools { get; set; } = new List<SourcePool>();

    /// <summary>How long a delivery waits for a connection or a rate slot before the recipients are deferred (to the time the slot
    /// frees) instead; <see cref="MailBroker"/> and the queue both wait this long at most.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a throttling reply, how long without another one before the destination's limits grow back by a quarter
    /// of the full value (so recovery from one halving takes two such periods).</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromMinutes(5);
}
