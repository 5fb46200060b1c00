using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ModernMail.Server.Webhooks;

/// <summary>The <c>ModernMail-Signature</c> header of a webhook POST: <c>t=UNIX-TIME,v1=HEX</c>, where HEX is the HMAC-SHA256 of
/// "UNIX-TIME.BODY" keyed with the endpoint's secret. Receivers check it with <see cref="Verify"/> (or the same arithmetic in any language)
/// and refuse old timestamps, so a captured request cannot be replayed later.</summary>
/// <example>
/// <code>
/// // In an ASP.NET Core receiver, with the raw body bytes:
/// bool ok = WebhookSignature.Verify(secret, request.Headers[WebhookSignature.HeaderName], body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
/// </code>
/// </example>
public static class WebhookSignature
{
    /// <summary>The request header that carries the signature.</summary>
    public const string HeaderName = "ModernMail-Signature";

    /// <summary>The header value for <paramref name="body"/> sent at <paramref name="time"/>.</summary>
    public static string Compute(string secret, DateTimeOffset time, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        long t = time.ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}");
    }

    /// <summary>True when <paramref name="header"/> is a signature of <paramref name="body"/> with <paramref name="secret"/> whose time is
    /// within <paramref name="tolerance"/> of <paramref name="now"/>. The MAC is compared in constant time.</summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (header is null || !TryParse(header, out long t, out byte[]? mac))
        {
            return false;
        }
        if (Math.Abs(now.ToUnixTimeSeconds() - t) > tolerance.TotalSeconds)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Mac(secret, t, body), mac);
    }

    private static byte[] Mac(string secret, long t, ReadOnlySpan<byte> body)
    {
        byte[] prefix = Encoding.ASCII.GetBytes(t.ToString(CultureInfo.InvariantCulture) + ".");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    private static bool TryParse(string header, out long t, out byte[]? mac)
    {
        t = 0;
        mac = null;
        bool haveTime = false;
        foreach (string part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                haveTime = long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out t);
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal) && part.Length == 3 + 64)
            {
                try
                {
                    mac = Convert.FromHexString(part.AsSpan(3));
                }
                catch (FormatException)
                {
                    return false;
                }
            }
        }
        return haveTime && mac is not null;
    }
}
