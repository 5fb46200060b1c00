using System.Globalization;

namespace ModernMail.Mime.Internal;

/// <summary>RFC 5322 §3.3 date-time: "Sat, 28 Nov 2026 12:32:05 +0100".</summary>
internal static class DateFormatter
{
    /// <summary>Formats <paramref name="value"/> with its own offset.</summary>
    public static string Format(DateTimeOffset value)
    {
        TimeSpan offset = value.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return value.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + sign + offset.Hours.ToString("00", CultureInfo.InvariantCulture) + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }
}
