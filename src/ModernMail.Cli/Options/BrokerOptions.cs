using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Mail;
using ModernMail.Dkim;
using ModernMail.Internal;

namespace ModernMail.Cli.Options;

/// <summary>The options that configure the broker: identity, DKIM signing, DNS, routes, port and TLS.</summary>
internal sealed class BrokerOptions
{
    public Option<string> Helo { get; } = new("--helo")
    {
        Description = "The host name announced in EHLO and used in Message-ID (default: the --from domain). It should resolve to the sending IP and match its PTR.",
        HelpName = "NAME",
    };

    public Option<string[]> DkimDomain { get; } = Repeatable("--dkim-domain", "Sign with DKIM for domain D (d=); pairs with the Nth --dkim-selector and --dkim-key (repeatable for dual signatures).", "D");

    public Option<string[]> DkimSelector { get; } = Repeatable("--dkim-selector", "The DKIM selector (s=) of the Nth signature.", "S");

    public Option<string[]> DkimKey { get; } = Repeatable("--dkim-key", "The PEM private key (PKCS#8 RSA or Ed25519, or PKCS#1 RSA) of the Nth signature.", "PEM");

    public Option<string[]> Dns { get; } = Repeatable("--dns", "A DNS server, ADDR or ADDR:PORT ([v6]:PORT) (repeatable; default: the system's resolvers).", "ADDR[:PORT]");

    public Option<int?> Port { get; } = new("--port") { Description = "The TCP port of mail exchangers (default 25).", HelpName = "N" };

    public Option<string[]> Route { get; } = Repeatable("--route", "Skip MX lookup: send DOMAIN's mail to HOST[:PORT]; DOMAIN \"*\" is a smart host (repeatable).", "DOMAIN=HOST[:PORT]");

    public Option<TlsPolicy> Tls { get; } = new("--tls")
    {
        Description = "STARTTLS policy: opportunistic (use when offered), required (never send in clear text), verify (required, and a certificate valid for the MX name), disabled. Recipient domains' MTA-STS policies apply on top.",
        DefaultValueFactory = _ => TlsPolicy.Opportunistic,
        HelpName = "opportunistic|required|verify|disabled",
    };

    /// <summary>Adds the options that <c>render</c> needs too (identity and signing).</summary>
    public void AddSigningTo(Command command)
    {
        command.Options.Add(Helo);
        command.Options.Add(DkimDomain);
        command.Options.Add(DkimSelector);
        command.Options.Add(DkimKey);
    }

    /// <summary>Adds the options only <c>send</c> needs (how to reach mail exchangers).</summary>
    public void AddDeliveryTo(Command command)
    {
        command.Options.Add(Dns);
        command.Options.Add(Port);
        command.Options.Add(Route);
        command.Options.Add(Tls);
    }

    /// <summary>Builds the broker configuration; every problem is a <see cref="UsageException"/>.</summary>
    public BrokerConfig Build(ParseResult parse, MailAddress from, bool forDelivery)
    {
        var config = new BrokerConfig { HostName = parse.GetValue(Helo) ?? from.Host };
        ValidateHostName(config.HostName);
        foreach (DkimConfig dkim in LoadDkim(parse))
        {
            config.DkimSignatures.Add(dkim);
        }

        if (!forDelivery)
        {
            return config;
        }

        foreach (string server in parse.GetValue(Dns) ?? [])
        {
            config.DnsServers.Add(ValidateDnsServer(server));
        }

        if (parse.GetValue(Port) is { } port)
        {
            config.SmtpPort = port is >= 1 and <= 65535 ? port : throw new UsageException($"--port: {port} is not a TCP port (1-65535).");
        }

        foreach (string route in parse.GetValue(Route) ?? [])
        {
            (string domain, string target) = ParseRoute(route);
            config.Routes[domain] = target;
        }

        config.Tls = parse.GetValue(Tls);
        return config;
    }

    private static Option<string[]> Repeatable(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private List<DkimConfig> LoadDkim(ParseResult parse)
    {
        string[] domains = parse.GetValue(DkimDomain) ?? [];
        string[] selectors = parse.GetValue(DkimSelector) ?? [];
        string[] keys = parse.GetValue(DkimKey) ?? [];
        if (domains.Length != selectors.Length || domains.Length != keys.Length)
        {
            throw new UsageException(
                $"DKIM options come in groups: got {domains.Length} --dkim-domain, {selectors.Length} --dkim-selector and {keys.Length} --dkim-key; give the same number of each.");
        }

        var configs = new List<DkimConfig>(domains.Length);
        for (int i = 0; i < domains.Length; i++)
        {
            string pem = ReadKey(keys[i]);
            try
            {
                configs.Add(DkimConfig.FromPem(domains[i], selectors[i], pem));
            }
            catch (DkimException ex)
            {
                throw new UsageException($"--dkim-key \"{keys[i]}\" (d={domains[i]}, s={selectors[i]}): {ex.Message}", ex);
            }
        }

        return configs;
    }

    /// <summary>Reads a PEM key file, naming the file when it cannot be read.</summary>
    public static string ReadKey(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--dkim-key: cannot read \"{path}\": {ex.Message}", ex);
        }
    }

    private static void ValidateHostName(string name)
    {
        if (name.Length == 0 || Uri.CheckHostName(name) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            throw new UsageException($"--helo: \"{name}\" is not a host name.");
        }
    }

    private static string ValidateDnsServer(string server)
    {
        if (DnsServerAddress.TryParse(server, out _))
        {
            return server;
        }

        throw new UsageException($"--dns: \"{server}\" is not ADDR or ADDR:PORT (an IP address, e.g. 127.0.0.1:5300 or [::1]:53).");
    }

    private static (string Domain, string Target) ParseRoute(string route)
    {
        int equals = route.IndexOf('=', StringComparison.Ordinal);
        string domain = equals < 0 ? "" : route[..equals].Trim();
        string target = equals < 0 ? "" : route[(equals + 1)..].Trim();
        if (domain.Length == 0 || target.Length == 0)
        {
            throw new UsageException($"--route: \"{route}\" is not DOMAIN=HOST[:PORT].");
        }

        if (domain != "*" && Uri.CheckHostName(domain) != UriHostNameType.Dns)
        {
            throw new UsageException($"--route: \"{domain}\" is not a domain name or \"*\".");
        }

        string host = target;
        string? port = null;
        if (target.StartsWith('['))
        {
            int close = target.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? "" : target[1..close];
            port = close >= 0 && close + 1 < target.Length && target[close + 1] == ':' ? target[(close + 2)..] : null;
            if (close < 0 || (close + 1 < target.Length && port is null))
            {
                throw new UsageException($"--route: \"{target}\" is not HOST[:PORT].");
            }
        }
        else if (target.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0 && target.IndexOf(':', colon + 1) < 0)
        {
            host = target[..colon];
            port = target[(colon + 1)..];
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            throw new UsageException($"--route: \"{host}\" is not a host name or IP address.");
        }

        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535))
        {
            throw new UsageException($"--route: \"{port}\" is not a TCP port (1-65535).");
        }

        return (domain, target);
    }
}
