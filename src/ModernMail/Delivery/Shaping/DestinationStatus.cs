using System;
using System.Collections.Generic;

namespace ModernMail.Delivery.Shaping;

/// <summary>One destination as the shaper sees it now.</summary>
/// <param name="Name">The destination (rule name, or "default:" and the MX hosts).</param>
/// <param name="Rule">The rule in force.</param>
/// <param name="Connections">Connections open now (in use or idle).</param>
/// <param name="Waiting">Deliveries waiting for a connection.</param>
/// <param name="EffectiveMaxConnections">The connection limit after back-off; null when unlimited.</param>
/// <param name="Factor">The back-off factor applied to the limits: 1 is the rule's values, 0.5 half of them.</param>
/// <param name="SuspendedUntil">When a suspension ends; null when not suspended.</param>
/// <param name="LastError">The last throttling reply, if any.</param>
/// <param name="Delivered">Messages accepted since start.</param>
/// <param name="Throttled">Throttling replies since start.</param>
/// <param name="Domains">The recipient domains routed to this destination so far (at most 1,000 kept).</param>
public sealed record DestinationStatus(
    string Name,
    ShapingRule Rule,
    int Connections,
    int Waiting,
    int? EffectiveMaxConnections,
    double Factor,
    DateTimeOffset? SuspendedUntil,
    string? LastError,
    long Delivered,
    long Throttled,
    IReadOnlyList<string> Domains);
