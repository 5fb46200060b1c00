using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ModernMail.Tls;

/// <summary>One TLSA record (RFC 6698 §2.1): which certificate or key a TLS server at <c>_PORT._tcp.HOST</c> presents.</summary>
/// <remarks>
/// Field values outside the defined ones are kept as they are (the enums hold any byte), so a record with an unknown
/// usage is parsed and reported as unusable rather than rejected: RFC 7672 §2.2 counts it towards "TLSA records exist".
/// </remarks>
public sealed class TlsaRecord
{
    /// <summary>The largest certificate association data accepted: what fits in one record (RDATA is at most 65535 octets).</summary>
    public const int MaxDataLength = ushort.MaxValue - 3;

    private readonly byte[] _data;

    /// <summary>Creates a record from its four fields.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="data"/> is longer than <see cref="MaxDataLength"/>.</exception>
    public TlsaRecord(TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matchingType, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(data.Length, MaxDataLength, nameof(data));
        Usage = usage;
        Selector = selector;
        MatchingType = matchingType;
        _data = data.ToArray();
    }

    /// <summary>The certificate usage.</summary>
    public TlsaUsage Usage { get; }

    /// <summary>The part of the certificate that is matched.</summary>
    public TlsaSelector Selector { get; }

    /// <summary>How the data is compared.</summary>
    public TlsaMatchingType MatchingType { get; }

    /// <summary>The certificate association data: the selected content, or its digest.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>
    /// True when an SMTP client can use the record (RFC 7672 §3.1): usage DANE-TA(2) or DANE-EE(3), selector 0 or 1,
    /// matching type 0, 1 or 2, and a digest of the right length (32 octets for SHA-256, 64 for SHA-512).
    /// </summary>
    public bool IsUsable =>
        Usage is TlsaUsage.DaneTa or TlsaUsage.DaneEe
        && Selector is TlsaSelector.FullCertificate or TlsaSelector.SubjectPublicKeyInfo
        && MatchingType switch
        {
            TlsaMatchingType.Full => _data.Length > 0,
            TlsaMatchingType.Sha256 => _data.Length == 32,
            TlsaMatchingType.Sha512 => _data.Length == 64,
            _ => false,
        };

    /// <summary>Reads a record from its wire-format RDATA (RFC 6698 §2.1): usage, selector and matching type octets, then the data.</summary>
    /// <returns>False when <paramref name="rdata"/> is shorter than the three field octets.</returns>
    public static bool TryReadRdata(ReadOnlySpan<byte> rdata, [NotNullWhen(true)] out TlsaRecord? record)
    {
        if (rdata.Length < 3 || rdata.Length - 3 > MaxDataLength)
        {
            record = null;
            return false;
        }
        record = new TlsaRecord((TlsaUsage)rdata[0], (TlsaSelector)rdata[1], (TlsaMatchingType)rdata[2], rdata[3..]);
        return true;
    }

    /// <summary>Parses the presentation format (RFC 6698 §2.2): <c>3 1 1 0123abcd...</c>, the hex data possibly split by white space.</summary>
    /// <exception cref="FormatException">The text is not three decimal octets followed by hex data.</exception>
    public static TlsaRecord Parse(string text) =>
        TryParse(text, out var record) ? record : throw new FormatException($"\"{Shorten(text)}\" is not a TLSA record (\"usage selector matching-type hex-data\").");

    /// <summary>Parses the presentation format; see <see cref="Parse"/>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out TlsaRecord? record)
    {
        record = null;
        if (text is null || text.Length > 2 * MaxDataLength + 1024)
        {
            return false;
        }
        string[] fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4
            || !byte.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out byte usage)
            || !byte.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out byte selector)
            || !byte.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out byte matchingType))
        {
            return false;
        }
        string hex = string.Concat(fields.AsSpan(3));
        if (hex.Length % 2 != 0 || hex.Length / 2 > MaxDataLength)
        {
            return false;
        }
        byte[] data;
        try
        {
            data = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        record = new TlsaRecord((TlsaUsage)usage, (TlsaSelector)selector, (TlsaMatchingType)matchingType, data);
        return true;
    }

    /// <summary>The record in presentation format, hex in upper case: <c>3 1 1 0123ABCD...</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(byte)Usage} {(byte)Selector} {(byte)MatchingType} {Convert.ToHexString(_data)}");

    private static string Shorten(string? text) =>
        ModernMail.Internal.SafeText.Escape(text is null ? "" : text.Length > 80 ? text[..80] + "..." : text);
}
