using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tls.Internal;

/// <summary>One certificate as TLSA records see it: the selected content (whole DER or SubjectPublicKeyInfo) and its
/// digests, each computed once however many records are compared.</summary>
internal sealed class TlsaCertificate
{
    private readonly byte[]?[] _content = new byte[2][];
    private readonly byte[]?[] _digests = new byte[4][];
    private bool _spkiUnreadable;

    public TlsaCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>True when <paramref name="record"/>'s data equals the selected content (or its digest) of this certificate.</summary>
    public bool Matches(TlsaRecord record)
    {
        if (!record.IsUsable || Content(record.Selector) is not { } content)
        {
            return false;
        }
        ReadOnlySpan<byte> expected = record.MatchingType switch
        {
            TlsaMatchingType.Full => content,
            _ => Digest(record.Selector, record.MatchingType, content),
        };
        return expected.SequenceEqual(record.Data.Span);
    }

    private byte[]? Content(TlsaSelector selector)
    {
        int index = (int)selector;
        if (_content[index] is { } cached)
        {
            return cached;
        }
        if (selector == TlsaSelector.FullCertificate)
        {
            return _content[index] = Certificate.RawData;
        }
        if (_spkiUnreadable)
        {
            return null;
        }
        byte[]? spki = ReadSubjectPublicKeyInfo(Certificate.RawData);
        _spkiUnreadable = spki is null;
        return _content[index] = spki;
    }

    private byte[] Digest(TlsaSelector selector, TlsaMatchingType matchingType, byte[] content)
    {
        int index = (int)selector * 2 + (matchingType == TlsaMatchingType.Sha256 ? 0 : 1);
        return _digests[index] ??= matchingType == TlsaMatchingType.Sha256 ? SHA256.HashData(content) : SHA512.HashData(content);
    }

    /// <summary>The DER bytes of the SubjectPublicKeyInfo exactly as the certificate carries them (RFC 5280 §4.1), or null
    /// when the certificate is not DER as expected.</summary>
    /// <remarks>
    /// Read from the certificate rather than re-encoded from <see cref="X509Certificate2.PublicKey"/>, which could encode
    /// the algorithm parameters differently and so change the digest:
    /// <code>
    /// Certificate  ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
    /// TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber, signature, issuer, validity, subject,
    ///                               subjectPublicKeyInfo, ... }
    /// </code>
    /// </remarks>
    internal static byte[]? ReadSubjectPublicKeyInfo(byte[] certificateDer)
    {
        try
        {
            var certificate = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence();
            var tbs = certificate.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            {
                tbs.ReadEncodedValue();
            }
            for (int field = 0; field < 5; field++)
            {
                tbs.ReadEncodedValue(); // serialNumber, signature, issuer, validity, subject
            }
            return tbs.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
