using System;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace ModernMail.Dkim.Internal;

/// <summary>A private key ready to sign the SHA-256 hash of DKIM's signed data.</summary>
internal abstract class DkimSigningKey : IDisposable
{
    public abstract DkimKeyType KeyType { get; }

    /// <summary>The a= tag value.</summary>
    public string Algorithm => KeyType == DkimKeyType.Rsa ? "rsa-sha256" : "ed25519-sha256";

    /// <summary>The length of a signature in bytes.</summary>
    public abstract int SignatureSize { get; }

    /// <summary>Signs a SHA-256 hash: RSASSA-PKCS1-v1_5 over the hash, or Ed25519 over the 32 hash bytes (RFC 8463 §3).</summary>
    public abstract byte[] SignHash(ReadOnlySpan<byte> hash);

    public abstract void Dispose();

    /// <exception cref="DkimKeyException">The configuration holds no usable key.</exception>
    public static DkimSigningKey Create(DkimConfig config)
    {
        if (config.Ed25519PrivateKey is { } seed)
        {
            return new Ed25519Key(seed);
        }

        RSAParameters parameters = config.PrivateKey;
        if (parameters.Modulus is null || parameters.D is null)
        {
            throw new DkimKeyException($"The DKIM configuration for {config.Selector}._domainkey.{config.Domain} has no private key: set PrivateKey (RSA) or Ed25519PrivateKey, or use DkimConfig.FromPem.");
        }

        RSA rsa;
        try
        {
            rsa = RSA.Create(parameters);
        }
        catch (CryptographicException ex)
        {
            throw new DkimKeyException($"The DKIM RSA private key for {config.Selector}._domainkey.{config.Domain} is invalid: {ex.Message}", ex);
        }

        if (rsa.KeySize < DkimKeyPair.MinimumRsaBits)
        {
            int bits = rsa.KeySize;
            rsa.Dispose();
            throw DkimKeyPair.TooShort(bits);
        }

        return new RsaKey(rsa);
    }

    private sealed class RsaKey(RSA rsa) : DkimSigningKey
    {
        // RSA instances are not documented as safe for concurrent use; a signer is shared across sends.
        private readonly Lock _lock = new();

        public override DkimKeyType KeyType => DkimKeyType.Rsa;

        public override int SignatureSize => (rsa.KeySize + 7) / 8;

        public override byte[] SignHash(ReadOnlySpan<byte> hash)
        {
            byte[] signature = new byte[SignatureSize];
            int written;
            lock (_lock)
            {
                written = rsa.SignHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }

            return written == signature.Length ? signature : signature[..written];
        }

        public override void Dispose() => rsa.Dispose();
    }

    private sealed class Ed25519Key : DkimSigningKey
    {
        private readonly Key _key;

        public Ed25519Key(byte[] seed)
        {
            if (seed.Length != 32)
            {
                throw new DkimKeyException($"An Ed25519 private key is 32 bytes (the RFC 8032 seed); got {seed.Length}.");
            }

            _key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        }

        public override DkimKeyType KeyType => DkimKeyType.Ed25519;

        public override int SignatureSize => 64;

        public override byte[] SignHash(ReadOnlySpan<byte> hash) => SignatureAlgorithm.Ed25519.Sign(_key, hash);

        public override void Dispose() => _key.Dispose();
    }
}
