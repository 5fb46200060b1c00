namespace ModernMail.Delivery.Shaping;

/// <summary>One local address to connect from, and the name to greet with (EHLO) from it: its reverse DNS name, so that
/// receivers checking forward-confirmed reverse DNS find them matching.</summary>
public sealed class SourceAddress
{
    /// <summary>The local IP address (it must be configured on this machine).</summary>
    public string Address { get; set; } = "";

    /// <summary>The EHLO name from this address; empty for <see cref="BrokerConfig.HostName"/>.</summary>
    public string HeloName { get; set; } = "";
}
