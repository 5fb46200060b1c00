using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using ModernMail.Dkim;

namespace ModernMail.Deliverability.Internal;

/// <summary>The public half of a PEM private key, read through <see cref="DkimKeyPair"/>, in the shapes the doctor compares.</summary>
internal static class DkimPrivateKey
{
    /// <summary>The k= value and p= bytes for the key: SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519.</summary>
    public static bool TryGetPublicKey(
        string pem, [NotNullWhen(true)] out string? keyType, [NotNullWhen(true)] out byte[]? publicKey, [NotNullWhen(false)] out string? error)
    {
        if (!TryLoad(pem, out var key, out error))
        {
            keyType = null;
            publicKey = null;
            return false;
        }

        keyType = TypeName(key.KeyType);
        publicKey = key.ExportPublicKey();
        return true;
    }

    /// <summary>What a key record is compared on: the RSA modulus (without leading zeros) or the raw Ed25519 key.</summary>
    public static bool TryGetPublicMaterial(
        string pem, [NotNullWhen(true)] out string? keyType, [NotNullWhen(true)] out byte[]? material, [NotNullWhen(false)] out string? error)
    {
        if (!TryGetPublicKey(pem, out keyType, out material, out error))
        {
            return false;
        }

        if (keyType == "rsa")
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(material, out _);
            material = DkimPublicKeyRecord.TrimLeadingZeros(rsa.ExportParameters(includePrivateParameters: false).Modulus ?? []);
        }

        return true;
    }

    private static bool TryLoad(string pem, [NotNullWhen(true)] out DkimKeyPair? key, [NotNullWhen(false)] out string? error)
    {
        try
        {
            key = DkimKeyPair.FromPem(pem);
            error = null;
            return true;
        }
        catch (DkimException ex)
        {
            key = null;
            error = ex.Message;
            return false;
        }
    }

    private static string TypeName(DkimKeyType type) => type == DkimKeyType.Rsa ? "rsa" : "ed25519";
}
