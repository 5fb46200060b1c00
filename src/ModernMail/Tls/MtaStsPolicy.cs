using System.Globalization;

namespace ModernMail.Tls;

/// <summary>A domain's MTA-STS policy (RFC 8461 §3.2), as fetched from <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c>.</summary>
public sealed class MtaStsPolicy
{
    /// <summary>The largest policy body read (RFC 8461 §3.3 lets senders stop at 64 KiB).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The longest max_age a policy may give (RFC 8461 §3.2: 31557600 seconds, about one year).</summary>
    public static readonly TimeSpan MaxMaxAge = TimeSpan.FromSeconds(31_557_600);

    /// <summary>Creates a policy.</summary>
    public MtaStsPolicy(string domain, string id, MtaStsMode mode, IReadOnlyList<string> mxPatterns, TimeSpan maxAge, DateTimeOffset fetchedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(mxPatterns);
        Domain = domain;
        Id = id;
        Mode = mode;
        MxPatterns = mxPatterns;
        MaxAge = maxAge;
        FetchedAt = fetchedAt;
    }

    /// <summary>The policy domain (the recipient domain), lower case, without a trailing dot.</summary>
    public string Domain { get; }

    /// <summary>The id of the <c>_mta-sts</c> TXT record the policy was fetched for; a new id means a new policy to fetch.</summary>
    public string Id { get; }

    /// <summary>What the policy asks for.</summary>
    public MtaStsMode Mode { get; }

    /// <summary>The MX host patterns: a host name, or <c>*.</c> followed by a domain (exactly one label matches the star).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>How long the policy may be cached (RFC 8461 §3.2 max_age).</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>When the policy was fetched.</summary>
    public DateTimeOffset FetchedAt { get; }

    /// <summary>When the cached policy stops applying, unless fetched again.</summary>
    public DateTimeOffset ExpiresAt => FetchedAt + MaxAge;

    /// <summary>True when <paramref name="mxHost"/> is one of the policy's MX hosts (RFC 8461 §4.1; case-insensitive, trailing dots ignored).</summary>
    public bool MatchesMx(string mxHost)
    {
        ArgumentNullException.ThrowIfNull(mxHost);
        string host = mxHost.TrimEnd('.');
        foreach (string pattern in MxPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                // "*.example.com" matches "mx1.example.com" but neither "example.com" nor "a.b.example.com".
                string suffix = pattern[1..];
                if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && host.Length > suffix.Length
                    && host.AsSpan(0, host.Length - suffix.Length).IndexOf('.') < 0)
                {
                    return true;
                }
            }
            else if (string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses a policy body (RFC 8461 §3.2: <c>key: value</c> lines; CRLF, and plain LF as real servers send it).</summary>
    /// <param name="domain">The policy domain.</param>
    /// <param name="id">The TXT record id the policy was fetched for.</param>
    /// <param name="text">The body.</param>
    /// <param name="fetchedAt">When it was fetched.</param>
    /// <exception cref="FormatException">The body is not a valid STSv1 policy; the message says why.</exception>
    public static MtaStsPolicy Parse(string domain, string id, string text, DateTimeOffset fetchedAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? version = null;
        string? mode = null;
        string? maxAge = null;
        var mx = new List<string>();
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"MTA-STS policy line without \"key: value\": \"{Shorten(line)}\".");
            }
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            switch (key)
            {
                // Only the first of a repeated single-valued key counts; unknown keys are ignored (§3.2).
                case "version":
                    version ??= value;
                    break;
                case "mode":
                    mode ??= value;
                    break;
                case "max_age":
                    maxAge ??= value;
                    break;
                case "mx":
                    mx.Add(ValidPattern(value));
                    break;
            }
        }
        if (version != "STSv1")
        {
            throw new FormatException(version is null ? "MTA-STS policy has no \"version: STSv1\"." : $"MTA-STS policy version \"{Shorten(version)}\" is not STSv1.");
        }
        MtaStsMode parsedMode = mode switch
        {
            "enforce" => MtaStsMode.Enforce,
            "testing" => MtaStsMode.Testing,
            "none" => MtaStsMode.None,
            null => throw new FormatException("MTA-STS policy has no \"mode\"."),
            _ => throw new FormatException($"MTA-STS policy mode \"{Shorten(mode)}\" is not enforce, testing or none."),
        };
        if (maxAge is null || maxAge.Length is 0 or > 10 || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > (long)MaxMaxAge.TotalSeconds)
        {
            throw new FormatException($"MTA-STS policy max_age must be 0 to {(long)MaxMaxAge.TotalSeconds} seconds, not \"{Shorten(maxAge ?? "")}\".");
        }
        if (mx.Count == 0 && parsedMode != MtaStsMode.None)
        {
            throw new FormatException("MTA-STS policy in enforce or testing mode lists no \"mx\".");
        }
        return new MtaStsPolicy(domain.TrimEnd('.').ToLowerInvariant(), id, parsedMode, mx, TimeSpan.FromSeconds(seconds), fetchedAt);
    }

    private static string ValidPattern(string value)
    {
        string pattern = value.TrimEnd('.');
        string name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        if (name.Length is 0 or > 253 || name.Split('.').Any(label => label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw new FormatException($"MTA-STS policy mx \"{Shorten(value)}\" is not a host name or *.domain pattern.");
        }
        return pattern.ToLowerInvariant();
    }

    private static string Shorten(string text) => ModernMail.Internal.SafeText.Escape(text.Length > 80 ? text[..80] + "..." : text);
}
