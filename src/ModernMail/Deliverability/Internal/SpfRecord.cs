using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ModernMail.Deliverability.Internal;

/// <summary>A parsed SPF record (RFC 7208 §4.6, §12): directives in order, plus redirect= and exp=.</summary>
internal sealed class SpfRecord
{
    private SpfRecord(IReadOnlyList<SpfDirective> directives, string? redirect, string? explanation)
    {
        Directives = directives;
        Redirect = redirect;
        Explanation = explanation;
    }

    public IReadOnlyList<SpfDirective> Directives { get; }

    public string? Redirect { get; }

    public string? Explanation { get; }

    /// <summary>True when the TXT string is an SPF record: "v=spf1" followed by a space or the end (§4.5).</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>Parses a whole record; any syntax error anywhere makes the record unusable (§4.6).</summary>
    // record = version terms *SP
    // terms  = *( 1*SP ( directive / modifier ) )
    public static bool TryParse(string text, [NotNullWhen(true)] out SpfRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        if (!IsSpfRecord(text))
        {
            error = "the record does not start with \"v=spf1\"";
            return false;
        }

        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                error = c > '~'
                    ? $"non-ASCII character U+{(int)c:X4} (SPF records are 7-bit ASCII)"
                    : $"control character 0x{(int)c:X2} (terms are separated by spaces only)";
                return false;
            }
        }

        var directives = new List<SpfDirective>();
        string? redirect = null;
        string? explanation = null;
        foreach (var term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = term.IndexOf('=', StringComparison.Ordinal);
            var colonOrSlash = term.IndexOfAny([':', '/']);
            if (equals > 0 && (colonOrSlash < 0 || equals < colonOrSlash))
            {
                // modifier = redirect / explanation / unknown-modifier ; name "=" macro-string
                var name = term[..equals];
                var value = term[(equals + 1)..];
                if (!IsModifierName(name))
                {
                    error = $"\"{term}\" is not a valid modifier name";
                    return false;
                }

                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase) || name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    var isRedirect = name.Length == 8;
                    if ((isRedirect ? redirect : explanation) is not null)
                    {
                        error = $"the \"{name}\" modifier appears more than once";
                        return false;
                    }

                    if (!SpfMacro.IsValidDomainSpec(value, out var why))
                    {
                        error = $"\"{term}\": {why}";
                        return false;
                    }

                    if (isRedirect)
                    {
                        redirect = value;
                    }
                    else
                    {
                        explanation = value;
                    }
                }
                else if (!SpfMacro.IsValidMacroString(value, allowExplanationLetters: false, out var why))
                {
                    error = $"\"{term}\": {why}";
                    return false;
                }

                continue;
            }

            if (!TryParseDirective(term, out var directive, out error))
            {
                return false;
            }

            directives.Add(directive);
        }

        record = new SpfRecord(directives, redirect, explanation);
        error = null;
        return true;
    }

    // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    private static bool IsModifierName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    // directive = [ qualifier ] mechanism ; qualifier = "+" / "-" / "?" / "~"
    private static bool TryParseDirective(string term, [NotNullWhen(true)] out SpfDirective? directive, [NotNullWhen(false)] out string? error)
    {
        directive = null;
        var qualifier = SpfResult.Pass;
        var body = term;
        switch (term[0])
        {
            case '+': qualifier = SpfResult.Pass; body = term[1..]; break;
            case '-': qualifier = SpfResult.Fail; body = term[1..]; break;
            case '~': qualifier = SpfResult.SoftFail; body = term[1..]; break;
            case '?': qualifier = SpfResult.Neutral; body = term[1..]; break;
        }

        var nameEnd = body.IndexOfAny([':', '/']);
        var name = nameEnd < 0 ? body : body[..nameEnd];
        var rest = nameEnd < 0 ? "" : body[nameEnd..];
        SpfMechanism mechanism;
        switch (name.ToLowerInvariant())
        {
            case "all": mechanism = SpfMechanism.All; break;
            case "include": mechanism = SpfMechanism.Include; break;
            case "a": mechanism = SpfMechanism.A; break;
            case "mx": mechanism = SpfMechanism.Mx; break;
            case "ptr": mechanism = SpfMechanism.Ptr; break;
            case "ip4": mechanism = SpfMechanism.Ip4; break;
            case "ip6": mechanism = SpfMechanism.Ip6; break;
            case "exists": mechanism = SpfMechanism.Exists; break;
            default:
                error = $"unknown mechanism \"{term}\"";
                return false;
        }

        string? domainSpec = null;
        IPAddress? network = null;
        var prefix4 = 32;
        var prefix6 = 128;
        switch (mechanism)
        {
            case SpfMechanism.All:
                if (rest.Length > 0)
                {
                    error = $"\"{term}\": \"all\" takes no argument";
                    return false;
                }

                break;

            case SpfMechanism.Include or SpfMechanism.Exists:
                // include = "include" ":" domain-spec ; exists = "exists" ":" domain-spec
                if (!rest.StartsWith(':') || !SpfMacro.IsValidDomainSpec(rest[1..], out _))
                {
                    error = $"\"{term}\": {(rest.StartsWith(':') ? WhyDomain(rest[1..]) : "a domain is required after ':'")}";
                    return false;
                }

                domainSpec = rest[1..];
                break;

            case SpfMechanism.A or SpfMechanism.Mx or SpfMechanism.Ptr:
                // a = "a" [ ":" domain-spec ] [ dual-cidr-length ] ; ptr = "ptr" [ ":" domain-spec ]
                var cidrStart = mechanism == SpfMechanism.Ptr ? -1 : FindCidr(rest);
                var spec = cidrStart < 0 ? rest : rest[..cidrStart];
                var cidr = cidrStart < 0 ? "" : rest[cidrStart..];
                if (spec.Length > 0)
                {
                    if (!spec.StartsWith(':') || !SpfMacro.IsValidDomainSpec(spec[1..], out _))
                    {
                        error = $"\"{term}\": {(spec.StartsWith(':') ? WhyDomain(spec[1..]) : "unexpected text after the mechanism name")}";
                        return false;
                    }

                    domainSpec = spec[1..];
                }

                if (!TryParseDualCidr(cidr, ref prefix4, ref prefix6))
                {
                    error = $"\"{term}\": invalid CIDR length \"{cidr}\"";
                    return false;
                }

                break;

            case SpfMechanism.Ip4:
                // ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ]
                if (!rest.StartsWith(':') || !TryParseNetwork(rest[1..], AddressFamily.InterNetwork, out network, out prefix4))
                {
                    error = $"\"{term}\": not an IPv4 address with an optional /0-32 prefix length";
                    return false;
                }

                break;

            case SpfMechanism.Ip6:
                if (!rest.StartsWith(':') || !TryParseNetwork(rest[1..], AddressFamily.InterNetworkV6, out network, out prefix6))
                {
                    error = $"\"{term}\": not an IPv6 address with an optional /0-128 prefix length";
                    return false;
                }

                break;
        }

        directive = new SpfDirective(qualifier, mechanism, domainSpec, network, prefix4, prefix6, term);
        error = null;
        return true;
    }

    private static string WhyDomain(string spec) => SpfMacro.IsValidDomainSpec(spec, out var why) ? "invalid" : why;

    // The CIDR suffix is "/digits", "//digits" or "/digits//digits" at the very end; a '/' earlier is a macro-literal.
    private static int FindCidr(string rest)
    {
        var start = rest.Length;
        for (var part = 0; part < 2; part++)
        {
            var i = start;
            while (i > 0 && char.IsAsciiDigit(rest[i - 1]))
            {
                i--;
            }

            if (i == start || i == 0 || rest[i - 1] != '/')
            {
                break;
            }

            i--;
            if (part == 0 && i > 0 && rest[i - 1] == '/')
            {
                // "//64": the IPv6 length; an IPv4 length may precede it.
                start = i - 1;
                continue;
            }

            start = i;
            break;
        }

        return start == rest.Length ? -1 : start;
    }

    // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
    private static bool TryParseDualCidr(string cidr, ref int prefix4, ref int prefix6)
    {
        if (cidr.Length == 0)
        {
            return true;
        }

        var six = cidr.IndexOf("//", StringComparison.Ordinal);
        var four = six < 0 ? cidr : cidr[..six];
        if (four.Length > 0 && !TryParsePrefix(four, 32, out prefix4))
        {
            return false;
        }

        return six < 0 || TryParsePrefix(cidr[(six + 1)..], 128, out prefix6);
    }

    // ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
    private static bool TryParsePrefix(string text, int max, out int prefix)
    {
        prefix = 0;
        if (text.Length < 2 || text[0] != '/' || (text.Length > 2 && text[1] == '0'))
        {
            return false;
        }

        foreach (var c in text.AsSpan(1))
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) && prefix <= max;
    }

    private static bool TryParseNetwork(string text, AddressFamily family, [NotNullWhen(true)] out IPAddress? network, out int prefix)
    {
        network = null;
        var max = family == AddressFamily.InterNetwork ? 32 : 128;
        prefix = max;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? text : text[..slash];
        if (slash >= 0 && !TryParsePrefix(text[slash..], max, out prefix))
        {
            return false;
        }

        if (family == AddressFamily.InterNetwork)
        {
            // ip4-network = qnum "." qnum "." qnum "." qnum ; IPAddress.Parse would also take "1.2.3".
            var parts = address.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (var part in parts)
            {
                if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') ||
                    !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 255)
                {
                    return false;
                }
            }
        }
        else if (address.Contains('%', StringComparison.Ordinal) || !address.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        return IPAddress.TryParse(address, out network) && network.AddressFamily == family;
    }
}
