using System.Collections.Generic;

namespace ModernMail.Delivery.Shaping;

/// <summary>Local source addresses that deliveries for some sender domains leave from, each with its own HELO name; limits and
/// back-off apply per (source address, destination), as receivers keep reputation per IP.</summary>
public sealed class SourcePool
{
    /// <summary>The pool's name in logs and status.</summary>
    public string Name { get; set; } = "";

    /// <summary>Sender domains (envelope sender; a domain covers its subdomains) whose mail uses this pool; "*" for every
    /// sender no other pool names.</summary>
    public IList<string> SenderDomains { get; set; } = new List<string>();

    /// <summary>The addresses, used in turn.</summary>
    public IList<SourceAddress> Addresses { get; set; } = new List<SourceAddress>();
}
