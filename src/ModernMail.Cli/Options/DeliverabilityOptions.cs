using System.CommandLine;
using System.Net;
using ModernMail.Deliverability;
using ModernMail.Dkim;

namespace ModernMail.Cli.Options;

/// <summary>The options <c>dns records</c> and <c>doctor</c> share: domain, sending address, HELO name, DKIM key, JSON.</summary>
internal sealed class DeliverabilityOptions
{
    public Option<string> Domain { get; } = new("--domain") { Description = "The sending domain (From, MAIL FROM and DKIM d=).", Required = true, HelpName = "D" };

    public Option<string> Ip { get; } = new("--ip") { Description = "The public IP address the mail leaves from (IPv4 or IPv6).", HelpName = "IP" };

    public Option<string> Helo { get; } = new("--helo")
    {
        Description = "The host name given in EHLO (default: --domain); it should resolve to --ip and be the PTR of --ip.",
        HelpName = "NAME",
    };

    public Option<string> Selector { get; } = new("--selector") { Description = "The DKIM selector (s=).", HelpName = "S" };

    public Option<string> Key { get; } = new("--key") { Description = "The DKIM private key (PEM: PKCS#8 RSA or Ed25519, or PKCS#1 RSA) used with --selector.", HelpName = "PEM" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON instead of text." };

    public void AddTo(Command command)
    {
        command.Options.Add(Domain);
        command.Options.Add(Ip);
        command.Options.Add(Helo);
        command.Options.Add(Selector);
        command.Options.Add(Key);
        command.Options.Add(Json);
    }

    /// <summary>The validated domain, without a trailing dot.</summary>
    public string GetDomain(ParseResult parse)
    {
        string domain = parse.GetValue(Domain)!.TrimEnd('.'); // Required.
        return Uri.CheckHostName(domain) == UriHostNameType.Dns ? domain : throw new UsageException($"--domain: \"{domain}\" is not a domain name.");
    }

    /// <summary>The HELO name: --helo, or the domain.</summary>
    public string GetHelo(ParseResult parse, string domain)
    {
        string helo = (parse.GetValue(Helo) ?? domain).TrimEnd('.');
        return Uri.CheckHostName(helo) == UriHostNameType.Dns ? helo : throw new UsageException($"--helo: \"{helo}\" is not a host name.");
    }

    /// <summary>The --ip address, or null when it was not given.</summary>
    public IPAddress? GetAddress(ParseResult parse)
    {
        string? ip = parse.GetValue(Ip);
        if (ip is null)
        {
            return null;
        }

        // IPAddress.TryParse also takes "10" or "10.1" (old inet_aton forms); a sending address is written in full.
        bool full = ip.Contains(':', StringComparison.Ordinal) || ip.Count(c => c == '.') == 3;
        return full && IPAddress.TryParse(ip, out IPAddress? address)
            ? address
            : throw new UsageException($"--ip: \"{ip}\" is not an IPv4 or IPv6 address.");
    }

    /// <summary>The selector and the key's PEM and DKIM TXT value (both null without --key); --key needs --selector.</summary>
    public (string? Selector, string? Pem, string? Record) GetDkim(ParseResult parse, string domain, bool keyRequired)
    {
        string? selector = parse.GetValue(Selector);
        string? path = parse.GetValue(Key);
        if (path is not null && selector is null)
        {
            throw new UsageException("--key needs --selector: the record is published at SELECTOR._domainkey.DOMAIN.");
        }

        if (selector is null || path is null)
        {
            return keyRequired && selector is not null
                ? throw new UsageException("--selector needs --key: the DKIM record is made from the private key.")
                : (selector, null, null);
        }

        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--key: cannot read \"{path}\": {ex.Message}", ex);
        }

        try
        {
            return (selector, pem, DkimKeyPair.FromPem(pem).CreateDnsRecord(domain, selector).Value);
        }
        catch (DkimException ex)
        {
            throw new UsageException($"--key \"{path}\" (s={selector}): {ex.Message}", ex);
        }
    }

    /// <summary>Builds the setup the library works from.</summary>
    public static DeliverabilitySetup Setup(string domain, IPAddress address, string helo, (string? Selector, string? Pem, string? Record) dkim) => new()
    {
        Domain = domain,
        Address = address,
        HeloName = helo,
        DkimSelector = dkim.Selector,
        DkimPrivateKeyPem = dkim.Pem,
        DkimRecord = dkim.Record,
    };
}
