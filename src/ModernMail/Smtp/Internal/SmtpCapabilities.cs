using System.Globalization;

namespace ModernMail.Smtp.Internal;

/// <summary>The ESMTP extensions a server advertised in its EHLO reply.</summary>
internal sealed record SmtpCapabilities
{
    /// <summary>What a server that only answered HELO supports: nothing.</summary>
    public static readonly SmtpCapabilities None = new();

    public bool Esmtp { get; init; }

    public bool Pipelining { get; init; }

    public bool StartTls { get; init; }

    public bool EightBitMime { get; init; }

    public bool SmtpUtf8 { get; init; }

    public bool EnhancedStatusCodes { get; init; }

    /// <summary>REQUIRETLS (RFC 8689), which servers advertise only over TLS.</summary>
    public bool RequireTls { get; init; }

    /// <summary>True when SIZE was advertised.</summary>
    public bool Size { get; init; }

    /// <summary>The SIZE limit, 0 when the server gave none.</summary>
    public long MaxSize { get; init; }

    /// <summary>Reads the extension keywords from the lines of a 250 reply to EHLO (the first line is the greeting).</summary>
    public static SmtpCapabilities Parse(IReadOnlyList<string> lines)
    {
        // ehlo-line = ehlo-keyword *( SP ehlo-param )
        bool pipelining = false, startTls = false, requireTls = false, eightBit = false, utf8 = false, enhanced = false, size = false;
        long maxSize = 0;
        for (int i = 1; i < lines.Count; i++)
        {
            var line = lines[i].AsSpan().Trim();
            int space = line.IndexOf(' ');
            var keyword = space < 0 ? line : line[..space];
            var param = space < 0 ? [] : line[(space + 1)..].Trim();
            if (keyword.Equals("PIPELINING", StringComparison.OrdinalIgnoreCase))
            {
                pipelining = true;
            }
            else if (keyword.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase))
            {
                startTls = true;
            }
            else if (keyword.Equals("REQUIRETLS", StringComparison.OrdinalIgnoreCase))
            {
                requireTls = true;
            }
            else if (keyword.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase))
            {
                eightBit = true;
            }
            else if (keyword.Equals("SMTPUTF8", StringComparison.OrdinalIgnoreCase))
            {
                utf8 = true;
            }
            else if (keyword.Equals("ENHANCEDSTATUSCODES", StringComparison.OrdinalIgnoreCase))
            {
                enhanced = true;
            }
            else if (keyword.Equals("SIZE", StringComparison.OrdinalIgnoreCase))
            {
                size = true;
                if (long.TryParse(param, NumberStyles.None, CultureInfo.InvariantCulture, out long limit))
                {
                    maxSize = limit;
                }
            }
        }
        return new SmtpCapabilities
        {
            Esmtp = true,
            Pipelining = pipelining,
            StartTls = startTls,
            RequireTls = requireTls,
            EightBitMime = eightBit,
            SmtpUtf8 = utf8,
            EnhancedStatusCodes = enhanced,
            Size = size,
            MaxSize = maxSize,
        };
    }
}
