using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using ModernMail.Dkim.Internal;
using NSec.Cryptography;
using IncrementalHash = System.Security.Cryptography.IncrementalHash;

namespace ModernMail.Dkim;

/// <summary>
/// Verifies the DKIM signatures of a raw message (RFC 6376 §6; rsa-sha256 and RFC 8463 ed25519-sha256,
/// simple and relaxed canonicalization), one result per signature. The body is read once, in flat memory.
/// </summary>
public sealed class DkimVerifier
{
    private const int ReadBufferSize = 64 * 1024;

    private readonly IDkimKeyResolver _resolver;
    private readonly DkimVerifierOptions _options;

    /// <summary>Creates a verifier that finds keys through <paramref name="resolver"/>.</summary>
    /// <param name="resolver">Where keys come from: <see cref="DnsDkimKeyResolver"/> or <see cref="FixedDkimKeyResolver"/>.</param>
    /// <param name="options">Clock and limits; null for the defaults.</param>
    public DkimVerifier(IDkimKeyResolver resolver, DkimVerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = resolver;
        _options = options ?? new DkimVerifierOptions();
    }

    /// <summary>Verifies a message held in memory.</summary>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public Task<IReadOnlyList<DkimVerificationResult>> VerifyAsync(byte[] message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return VerifyAsync(new MemoryStream(message, writable: false), cancellationToken);
    }

    /// <summary>Reads a message from <paramref name="message"/> and verifies every DKIM-Signature field in it.</summary>
    /// <returns>One result per signature, in header order; a single <see cref="DkimSignatureStatus.None"/> result when there is none.</returns>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public async Task<IReadOnlyList<DkimVerificationResult>> VerifyAsync(Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using HeaderBlock block = await HeaderBlock.ReadAsync(message, _options.MaxHeaderBytes, cancellationToken).ConfigureAwait(false);

        var results = new DkimVerificationResult?[CountSignatures(block)];
        if (results.Length == 0)
        {
            return [new DkimVerificationResult(DkimSignatureStatus.None, "no DKIM-Signature header field", null, null, null, null)];
        }

        var parsed = new DkimSignatureFields?[results.Length];
        var hashers = new DkimBodyHasher?[results.Length];
        int index = 0;
        foreach (HeaderField field in block.Fields)
        {
            if (!block.NameEquals(field, "dkim-signature"))
            {
                continue;
            }

            int n = index++;
            if (n >= _options.MaxSignatures)
            {
                results[n] = new DkimVerificationResult(DkimSignatureStatus.PermError, $"more than {_options.MaxSignatures} signatures; not evaluated", null, null, null, null);
                continue;
            }

            DkimSignatureFields? signature = DkimSignatureFields.Parse(block.RawString(field), out string? error, out string? d, out string? s, out string? a);
            if (signature is null)
            {
                results[n] = new DkimVerificationResult(DkimSignatureStatus.PermError, error ?? "malformed signature", d, s, a, null);
                continue;
            }

            parsed[n] = signature;
            if (signature.Expiration is { } x && x < _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds())
            {
                results[n] = Result(signature, DkimSignatureStatus.Fail, "signature expired");
                continue;
            }

            hashers[n] = new DkimBodyHasher(signature.BodyCanonicalization, signature.BodyLength);
        }

        try
        {
            await HashBodyAsync(block, message, hashers, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i] is null && parsed[i] is { } signature && hashers[i] is { } hasher)
                {
                    byte[] bodyHash = hasher.Complete();
                    results[i] = signature.BodyLength >= 0 && hasher.CanonicalLength < signature.BodyLength
                        ? Result(signature, DkimSignatureStatus.PermError, "l= is longer than the body")
                        : await VerifyOneAsync(block, signature, bodyHash, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (DkimBodyHasher? hasher in hashers)
            {
                hasher?.Dispose();
            }
        }

        var list = new List<DkimVerificationResult>(results.Length);
        foreach (DkimVerificationResult? result in results)
        {
            list.Add(result ?? new DkimVerificationResult(DkimSignatureStatus.PermError, "not evaluated", null, null, null, null));
        }

        return list;
    }

    private static int CountSignatures(HeaderBlock block) => block.Count("dkim-signature");

    private static async Task HashBodyAsync(HeaderBlock block, Stream message, DkimBodyHasher?[] hashers, CancellationToken cancellationToken)
    {
        foreach (DkimBodyHasher? hasher in hashers)
        {
            hasher?.Append(block.BodyStart);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            int read;
            while ((read = await message.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                foreach (DkimBodyHasher? hasher in hashers)
                {
                    hasher?.Append(buffer.AsSpan(0, read));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DkimVerificationResult> VerifyOneAsync(HeaderBlock block, DkimSignatureFields signature, byte[] bodyHash, CancellationToken cancellationToken)
    {
        if (!CryptographicOperations.FixedTimeEquals(bodyHash, signature.BodyHash))
        {
            return Result(signature, DkimSignatureStatus.Fail, "body hash did not verify");
        }

        IReadOnlyList<string> records;
        try
        {
            records = await _resolver.GetKeyRecordsAsync(signature.Selector, signature.Domain, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimKeyLookupException ex)
        {
            return Result(signature, DkimSignatureStatus.TempError, ex.Message);
        }

        string name = $"{signature.Selector}._domainkey.{signature.Domain}";
        if (records.Count == 0)
        {
            return Result(signature, DkimSignatureStatus.PermError, $"no key record at {name}");
        }

        DkimPublicKeyRecord? key = null;
        string? keyError = null;
        foreach (string text in records)
        {
            if (DkimPublicKeyRecord.TryParse(text, out key, out keyError))
            {
                break;
            }
        }

        if (key is null)
        {
            return Result(signature, DkimSignatureStatus.PermError, $"key record at {name} is invalid: {keyError}");
        }

        string? problem = CheckKey(signature, key);
        if (problem is not null)
        {
            return Result(signature, DkimSignatureStatus.PermError, problem);
        }

        byte[] hash;
        using (var headerHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            byte[] unsigned = Encoding.Latin1.GetBytes(DkimTagList.RemoveSignatureValue(signature.Raw));
            DkimHeaderCanonicalizer.AppendSignedHeaders(headerHash, block, signature.SignedHeaders, unsigned, signature.HeaderCanonicalization);
            hash = headerHash.GetHashAndReset();
        }

        if (signature.KeyType == DkimKeyType.Ed25519)
        {
            if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, key.PublicKey, KeyBlobFormat.RawPublicKey, out PublicKey? publicKey) || publicKey is null)
            {
                return Result(signature, DkimSignatureStatus.PermError, "the ed25519 public key is invalid");
            }

            return SignatureAlgorithm.Ed25519.Verify(publicKey, hash, signature.Signature)
                ? Result(signature, DkimSignatureStatus.Pass, "")
                : Result(signature, DkimSignatureStatus.Fail, "signature did not verify");
        }

        using RSA? rsa = DkimPublicKeyRecord.TryImportRsa(key.PublicKey);
        if (rsa is null)
        {
            return Result(signature, DkimSignatureStatus.PermError, "the RSA public key is invalid");
        }

        if (rsa.KeySize < _options.MinimumRsaKeyBits)
        {
            return Result(signature, DkimSignatureStatus.PermError, $"the RSA key is {rsa.KeySize} bits, under {_options.MinimumRsaKeyBits} (RFC 8301)");
        }

        return rsa.VerifyHash(hash, signature.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            ? Result(signature, DkimSignatureStatus.Pass, "")
            : Result(signature, DkimSignatureStatus.Fail, "signature did not verify");
    }

    // RFC 6376 §6.1.2 steps 4-9: the key must fit the signature.
    private static string? CheckKey(DkimSignatureFields signature, DkimPublicKeyRecord key)
    {
        if (key.IsRevoked)
        {
            return "the key has been revoked (empty p=)";
        }

        string expected = signature.KeyType == DkimKeyType.Rsa ? "rsa" : "ed25519";
        if (key.KeyType != expected)
        {
            return $"the key is k={key.KeyType} but the signature is a={signature.Algorithm}";
        }

        if (key.HashAlgorithms.Count > 0 && !Contains(key.HashAlgorithms, "sha256"))
        {
            return "the key's h= does not allow sha256";
        }

        if (!Contains(key.ServiceTypes, "*") && !Contains(key.ServiceTypes, "email"))
        {
            return "the key's s= does not allow email";
        }

        if (key.IsStrict)
        {
            string identityDomain = signature.Identity[(signature.Identity.LastIndexOf('@') + 1)..];
            if (!identityDomain.Equals(signature.Domain, StringComparison.OrdinalIgnoreCase))
            {
                return "the key has t=s but i= is in a subdomain of d=";
            }
        }

        return null;
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (item == value)
            {
                return true;
            }
        }

        return false;
    }

    private static DkimVerificationResult Result(DkimSignatureFields signature, DkimSignatureStatus status, string reason) =>
        new(status, reason, signature.Domain, signature.Selector, signature.Algorithm, signature.Identity);
}
