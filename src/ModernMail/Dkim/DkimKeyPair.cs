using System;
using System.Formats.Asn1;
using System.Security.Cryptography;
using ModernMail.Dkim.Internal;
using NSec.Cryptography;

namespace ModernMail.Dkim;

/// <summary>A DKIM key pair: generate or load one, export the private key as PEM and publish the public key in DNS.</summary>
public sealed class DkimKeyPair
{
    internal const int MinimumRsaBits = 1024;
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string Ed25519Oid = "1.3.101.112";

    // PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410 §7) is this fixed prefix followed by the 32-byte seed.
    private static ReadOnlySpan<byte> Ed25519Pkcs8Prefix => [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

    private readonly RSAParameters _rsa;
    private readonly byte[]? _ed25519Seed;

    private DkimKeyPair(RSAParameters rsa)
    {
        KeyType = DkimKeyType.Rsa;
        _rsa = rsa;
    }

    private DkimKeyPair(byte[] ed25519Seed)
    {
        KeyType = DkimKeyType.Ed25519;
        _ed25519Seed = ed25519Seed;
    }

    /// <summary>Whether this is an RSA or an Ed25519 key.</summary>
    public DkimKeyType KeyType { get; }

    /// <summary>The key size in bits (the RSA modulus size; 256 for Ed25519).</summary>
    public int KeySize => KeyType == DkimKeyType.Rsa ? _rsa.Modulus!.Length * 8 : 256; // Modulus is set for every RSA pair we build.

    /// <summary>Generates a new RSA key pair.</summary>
    /// <param name="bits">The modulus size; at least 1024 (RFC 8301), 2048 recommended.</param>
    /// <exception cref="DkimKeyException"><paramref name="bits"/> is under 1024.</exception>
    public static DkimKeyPair GenerateRsa(int bits = 2048)
    {
        if (bits < MinimumRsaBits)
        {
            throw TooShort(bits);
        }

        using RSA rsa = RSA.Create(bits);
        return new DkimKeyPair(rsa.ExportParameters(includePrivateParameters: true));
    }

    /// <summary>Generates a new Ed25519 key pair (RFC 8463).</summary>
    public static DkimKeyPair GenerateEd25519() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>Loads a private key from PEM: PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") RSA, or PKCS#8 Ed25519.</summary>
    /// <exception cref="DkimKeyException">The text is not PEM, the key is malformed, encrypted, of an unsupported type, or RSA under 1024 bits.</exception>
    public static DkimKeyPair FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out PemFields fields))
        {
            throw new DkimKeyException("The DKIM private key is not valid PEM: no \"-----BEGIN ...-----\" / \"-----END ...-----\" block with base64 content was found.");
        }

        string label = pem[fields.Label];
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        try
        {
            switch (label)
            {
                case "RSA PRIVATE KEY":
                    return FromRsa(rsa => rsa.ImportRSAPrivateKey(der, out _), "PKCS#1");
                case "PRIVATE KEY":
                    return FromPkcs8(der);
                case "ENCRYPTED PRIVATE KEY":
                    throw new DkimKeyException("The DKIM private key is encrypted (\"ENCRYPTED PRIVATE KEY\"); decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`.");
                default:
                    throw new DkimKeyException($"The PEM block \"{label}\" is not a supported DKIM private key; expected \"PRIVATE KEY\" (PKCS#8 RSA or Ed25519) or \"RSA PRIVATE KEY\" (PKCS#1).");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>Exports the private key as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").</summary>
    public string ExportPrivateKeyPem()
    {
        if (KeyType == DkimKeyType.Rsa)
        {
            using RSA rsa = RSA.Create(_rsa);
            return rsa.ExportPkcs8PrivateKeyPem();
        }

        byte[] der = new byte[Ed25519Pkcs8Prefix.Length + 32];
        try
        {
            Ed25519Pkcs8Prefix.CopyTo(der);
            Seed.CopyTo(der.AsSpan(Ed25519Pkcs8Prefix.Length));
            return PemEncoding.WriteString("PRIVATE KEY", der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>The public key as DKIM publishes it in p=: SubjectPublicKeyInfo DER for RSA, the raw 32 bytes for Ed25519 (RFC 8463 §4.2).</summary>
    public byte[] ExportPublicKey()
    {
        if (KeyType == DkimKeyType.Rsa)
        {
            using RSA rsa = RSA.Create(_rsa);
            return rsa.ExportSubjectPublicKeyInfo();
        }

        using Key key = Key.Import(SignatureAlgorithm.Ed25519, Seed, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The DNS TXT record to publish at selector._domainkey.domain for this key.</summary>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public DkimDnsRecord CreateDnsRecord(string domain, string selector) =>
        DkimDnsRecord.Create(domain, selector, KeyType, ExportPublicKey());

    /// <summary>A signing configuration for this key.</summary>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public DkimConfig ToConfig(string domain, string selector)
    {
        var config = new DkimConfig
        {
            Domain = DkimNames.Validate(domain, "domain"),
            Selector = DkimNames.Validate(selector, "selector"),
        };
        if (KeyType == DkimKeyType.Rsa)
        {
            config.PrivateKey = _rsa;
        }
        else
        {
            config.Ed25519PrivateKey = Seed.ToArray();
        }

        return config;
    }

    internal static DkimKeyException TooShort(int bits) =>
        new($"The DKIM RSA key is {bits} bits; keys under {MinimumRsaBits} bits are refused (RFC 8301 §3.2), use 2048.");

    private ReadOnlySpan<byte> Seed => _ed25519Seed ?? throw new InvalidOperationException("Not an Ed25519 key.");

    private static DkimKeyPair FromPkcs8(byte[] der)
    {
        string oid;
        ReadOnlyMemory<byte> privateKey;
        try
        {
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
            var reader = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader info = reader.ReadSequence();
            info.ReadInteger();
            AsnReader algorithm = info.ReadSequence();
            oid = algorithm.ReadObjectIdentifier();
            privateKey = info.ReadOctetString();
        }
        catch (AsnContentException ex)
        {
            throw new DkimKeyException("The DKIM private key is not a well-formed PKCS#8 structure.", ex);
        }

        switch (oid)
        {
            case RsaOid:
                return FromRsa(rsa => rsa.ImportPkcs8PrivateKey(der, out _), "PKCS#8");
            case Ed25519Oid:
                byte[] seed;
                try
                {
                    // CurvePrivateKey ::= OCTET STRING (RFC 8410 §7)
                    seed = new AsnReader(privateKey, AsnEncodingRules.BER).ReadOctetString();
                }
                catch (AsnContentException ex)
                {
                    throw new DkimKeyException("The DKIM Ed25519 private key is malformed (RFC 8410 CurvePrivateKey).", ex);
                }

                if (seed.Length != 32)
                {
                    throw new DkimKeyException($"The DKIM Ed25519 private key is {seed.Length} bytes; expected 32.");
                }

                return new DkimKeyPair(seed);
            default:
                throw new DkimKeyException($"The DKIM private key has algorithm OID {oid} ({Describe(oid)}); DKIM signs with RSA or Ed25519 only.");
        }
    }

    private static DkimKeyPair FromRsa(Action<RSA> import, string format)
    {
        using RSA rsa = RSA.Create();
        try
        {
            import(rsa);
        }
        catch (CryptographicException ex)
        {
            throw new DkimKeyException($"The DKIM private key is not a valid {format} RSA private key: {ex.Message}", ex);
        }

        if (rsa.KeySize < MinimumRsaBits)
        {
            throw TooShort(rsa.KeySize);
        }

        return new DkimKeyPair(rsa.ExportParameters(includePrivateParameters: true));
    }

    private static string Describe(string oid) => oid switch
    {
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.2.840.10040.4.1" => "DSA",
        _ => "unknown",
    };
}
