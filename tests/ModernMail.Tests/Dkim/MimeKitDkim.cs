using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using ModernMail.Dkim;
using Org.BouncyCastle.Crypto;

namespace ModernMail.Tests.Dkim;

/// <summary>MimeKit as an independent DKIM verifier and signer.</summary>
internal static class MimeKitDkim
{
    /// <summary>Verifies every DKIM-Signature with MimeKit; one bool per signature, in header order.</summary>
    public static List<bool> Verify(byte[] signed, params DkimDnsRecord[] records)
    {
        MimeMessage message = MimeMessage.Load(new MemoryStream(signed));
        var verifier = new MimeKit.Cryptography.DkimVerifier(new Locator(records));
        var results = new List<bool>();
        foreach (Header header in message.Headers)
        {
            if (header.Id == HeaderId.DkimSignature)
            {
                results.Add(verifier.Verify(message, header));
            }
        }

        return results;
    }

    /// <summary>Signs with MimeKit (BouncyCastle) and returns the signed message bytes.</summary>
    public static byte[] Sign(byte[] raw, DkimKeyPair key, string selector, DkimCanonicalization canonicalization = DkimCanonicalization.Relaxed)
    {
        MimeMessage message = MimeMessage.Load(new MemoryStream(raw));
        var algorithm = key.KeyType == DkimKeyType.Rsa ? DkimSignatureAlgorithm.RsaSha256 : DkimSignatureAlgorithm.Ed25519Sha256;
        var signer = new MimeKit.Cryptography.DkimSigner(new MemoryStream(Encoding.ASCII.GetBytes(key.ExportPrivateKeyPem())), DkimTestKeys.Domain, selector, algorithm)
        {
            HeaderCanonicalizationAlgorithm = canonicalization == DkimCanonicalization.Relaxed ? DkimCanonicalizationAlgorithm.Relaxed : DkimCanonicalizationAlgorithm.Simple,
            BodyCanonicalizationAlgorithm = canonicalization == DkimCanonicalization.Relaxed ? DkimCanonicalizationAlgorithm.Relaxed : DkimCanonicalizationAlgorithm.Simple,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        return DkimCorpus.Write(message);
    }

    private sealed class Locator(DkimDnsRecord[] records) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default)
        {
            foreach (DkimDnsRecord record in records)
            {
                if (record.Name == $"{selector}._domainkey.{domain}")
                {
                    return GetPublicKey(record.Value);
                }
            }

            throw new InvalidOperationException($"no key for {selector}._domainkey.{domain}");
        }

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
