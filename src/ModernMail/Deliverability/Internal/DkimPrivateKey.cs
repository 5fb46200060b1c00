using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace ModernMail.Deliverability.Internal;

/// <summary>Derives the public key material (RSA modulus, raw Ed25519 key) from a PEM private key, to compare with a published record.</summary>
internal static class DkimPrivateKey
{
    /// <summary>The p= bytes for the key: SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519.</summary>
    public static bool TryGetPublicKey(
        string pem, [NotNullWhen(true)] out string? keyType, [NotNullWhen(true)] out byte[]? publicKey, [NotNullWhen(false)] out string? error)
    {
        if (!TryGetPublicMaterial(pem, out keyType, out publicKey, out error))
        {
            return false;
        }

        if (keyType == "rsa")
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            publicKey = rsa.ExportSubjectPublicKeyInfo();
        }

        return true;
    }

    public static bool TryGetPublicMaterial(
        string pem, [NotNullWhen(true)] out string? keyType, [NotNullWhen(true)] out byte[]? material, [NotNullWhen(false)] out string? error)
    {
        using (var rsa = RSA.Create())
        {
            try
            {
                rsa.ImportFromPem(pem);
                keyType = "rsa";
                material = DkimKeyRecord.TrimLeadingZeros(rsa.ExportParameters(includePrivateParameters: false).Modulus ?? []);
                error = null;
                return true;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                // Not an RSA key; try Ed25519 below.
            }
        }

        try
        {
            using var key = Key.Import(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(pem), KeyBlobFormat.PkixPrivateKeyText);
            keyType = "ed25519";
            material = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            error = null;
            return true;
        }
        catch (FormatException)
        {
            keyType = null;
            material = null;
            error = "the private key is neither an RSA key (PKCS#1/PKCS#8 PEM) nor an Ed25519 PKCS#8 PEM key";
            return false;
        }
    }
}
