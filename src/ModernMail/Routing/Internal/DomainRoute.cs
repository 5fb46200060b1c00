namespace ModernMail.Routing.Internal;

/// <summary>Where to deliver one recipient domain: the mail exchangers in the order to try them, or why not.</summary>
/// <param name="Status">Ok, or the class of failure.</param>
/// <param name="Hosts">Exchangers in the order to try (empty on failure).</param>
/// <param name="Implicit">True when the domain had no MX and its own address records are used (RFC 5321 §5.1).</param>
/// <param name="Error">Why there is no route.</param>
/// <param name="Static">True for a configured route (<see cref="BrokerConfig.Routes"/>): recipient TLS policies do not apply.</param>
internal sealed record DomainRoute(RouteStatus Status, IReadOnlyList<RouteHost> Hosts, bool Implicit = false, string? Error = null, bool Static = false);
