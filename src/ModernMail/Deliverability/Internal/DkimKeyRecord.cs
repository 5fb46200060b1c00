using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace ModernMail.Deliverability.Internal;

/// <summary>A DKIM public key record (RFC 6376 §3.6.1, RFC 8463): v, k, p, t, h, s.</summary>
internal sealed class DkimKeyRecord
{
    public required string KeyType { get; init; }

    /// <summary>The decoded p= bytes: SubjectPublicKeyInfo (or RSAPublicKey) for RSA, the raw 32-byte key for Ed25519; empty when revoked.</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>The RSA modulus, or the raw Ed25519 key: what two keys are compared by.</summary>
    public required byte[] KeyMaterial { get; init; }

    /// <summary>The key length in bits (RSA modulus bits; 256 for Ed25519); 0 when revoked.</summary>
    public int KeyBits { get; init; }

    public bool Testing { get; init; }

    public bool StrictSubdomains { get; init; }

    public string? HashAlgorithms { get; init; }

    public string? ServiceTypes { get; init; }

    public bool IsRevoked => PublicKey.Length == 0;

    public static bool TryParse(string text, [NotNullWhen(true)] out DkimKeyRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        if (!TagList.TryParse(text, out var tags, out error))
        {
            return false;
        }

        // v= is optional, but when present it MUST be the first tag and be "DKIM1".
        var version = TagList.Get(tags, "v");
        if (version is not null && (tags[0].Key != "v" || version != "DKIM1"))
        {
            error = version != "DKIM1" ? $"v={version} is not DKIM1" : "v= must be the first tag";
            return false;
        }

        var keyType = TagList.Get(tags, "k") ?? "rsa";
        if (keyType is not ("rsa" or "ed25519"))
        {
            error = $"k={keyType} is not a known key type (rsa, ed25519)";
            return false;
        }

        var p = TagList.Get(tags, "p");
        if (p is null)
        {
            error = "the p= tag (the public key) is missing";
            return false;
        }

        var base64 = string.Concat(p.Where(c => !char.IsWhiteSpace(c)));
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length))
        {
            error = "p= is not valid base64";
            return false;
        }

        bytes = bytes[..length];
        var hashes = TagList.Get(tags, "h");
        var flags = (TagList.Get(tags, "t") ?? "").Split(':', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        byte[] material = [];
        var bits = 0;
        if (bytes.Length > 0)
        {
            if (keyType == "ed25519")
            {
                if (bytes.Length != 32)
                {
                    error = $"p= holds {bytes.Length} bytes; an Ed25519 key is 32";
                    return false;
                }

                material = bytes;
                bits = 256;
            }
            else if (!TryReadRsa(bytes, out material, out bits))
            {
                error = "p= is base64 but not an RSA public key (SubjectPublicKeyInfo)";
                return false;
            }
        }

        record = new DkimKeyRecord
        {
            KeyType = keyType,
            PublicKey = bytes,
            KeyMaterial = material,
            KeyBits = bits,
            Testing = flags.Contains("y"),
            StrictSubdomains = flags.Contains("s"),
            HashAlgorithms = hashes,
            ServiceTypes = TagList.Get(tags, "s"),
        };
        return true;
    }

    private static bool TryReadRsa(byte[] der, out byte[] modulus, out int bits)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(der, out _);
        }
        catch (CryptographicException)
        {
            try
            {
                rsa.ImportRSAPublicKey(der, out _);
            }
            catch (CryptographicException)
            {
                modulus = [];
                bits = 0;
                return false;
            }
        }

        modulus = TrimLeadingZeros(rsa.ExportParameters(includePrivateParameters: false).Modulus ?? []);
        bits = rsa.KeySize;
        return true;
    }

    public static byte[] TrimLeadingZeros(byte[] value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return i == 0 ? value : value[i..];
    }
}
