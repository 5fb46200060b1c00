using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;
using static ModernMail.Tests.Tls.DaneCertificates;

namespace ModernMail.Tests.Tls;

/// <summary>DANE-EE(3) and DANE-TA(2) matching (RFC 7672 §3) with certificates made in the test.</summary>
public sealed class DaneMatcherTests : IDisposable
{
    private const string Host = "mx.dane.example";

    private readonly X509Certificate2 _root = Root();
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;
    private readonly X509Certificate2 _selfSigned = Leaf(null, ["mx.a.test"]);
    private readonly X509Certificate2 _stranger = Leaf(null, [Host]);

    public DaneMatcherTests()
    {
        _intermediate = Intermediate(_root);
        _leaf = Leaf(_intermediate, [Host]);
    }

    public void Dispose()
    {
        foreach (var certificate in new[] { _root, _intermediate, _leaf, _selfSigned, _stranger })
        {
            certificate.Dispose();
        }
    }

    [Theory]
    [InlineData(TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256)]
    [InlineData(TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha512)]
    [InlineData(TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Full)]
    [InlineData(TlsaSelector.FullCertificate, TlsaMatchingType.Sha256)]
    [InlineData(TlsaSelector.FullCertificate, TlsaMatchingType.Sha512)]
    [InlineData(TlsaSelector.FullCertificate, TlsaMatchingType.Full)]
    public void DaneEe_MatchingRecord_Matches(TlsaSelector selector, TlsaMatchingType matching)
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneEe, selector, matching, _selfSigned));

        var (ok, reason) = lookup.Matches(_selfSigned, null);

        Assert.True(ok, reason);
        Assert.Contains("DANE-EE(3)", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DaneEe_IgnoresNameAndExpiry()
    {
        // RFC 7672 §3.1.1: the record alone vouches for the key; the name (mx.a.test, not the MX host) and dates do not matter.
        using var expired = Leaf(null, ["somewhere.else"], expired: true);
        var lookup = Usable(Tlsa(TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, expired));

        Assert.True(lookup.Matches(expired, null).IsMatch);
    }

    [Fact]
    public void DaneEe_OtherKey_DoesNotMatch()
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _stranger));

        var (ok, reason) = lookup.Matches(_selfSigned, null);

        Assert.False(ok);
        Assert.Contains("no TLSA record", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DaneEe_RecordForAChainCertificate_DoesNotMatchTheLeaf()
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneEe, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _intermediate));
        using var chain = Presented(_intermediate);

        Assert.False(lookup.Matches(_leaf, chain).IsMatch);
    }

    [Fact]
    public void DaneTa_RootInTheChain_MatchesWhenTheChainValidatesAndNamesTheHost()
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root));
        using var chain = Presented(_intermediate, _root);

        var (ok, reason) = lookup.Matches(_leaf, chain);

        Assert.True(ok, reason);
        Assert.Contains("DANE-TA(2)", reason, StringComparison.Ordinal);
        // The caller's certificates are left usable (only the check's own chain copies are disposed).
        Assert.True(lookup.Matches(_leaf, chain).IsMatch);
        Assert.Equal(2, chain.ChainPolicy.ExtraStore.Count);
    }

    [Fact]
    public void DaneTa_IntermediateAsTrustAnchor_Matches()
    {
        // The anchor need not be self-signed: the server sends leaf + intermediate, the TLSA names the intermediate's key.
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _intermediate));
        using var chain = Presented(_intermediate);

        var (ok, reason) = lookup.Matches(_leaf, chain);

        Assert.True(ok, reason);
    }

    [Fact]
    public void DaneTa_CertificateWithoutTheHostName_DoesNotMatch()
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root), host: "other.dane.example");
        using var chain = Presented(_intermediate, _root);

        var (ok, reason) = lookup.Matches(_leaf, chain);

        Assert.False(ok);
        Assert.Contains("does not name other.dane.example", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DaneTa_HostArgument_OverridesTheLookupHost()
    {
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root), host: "other.dane.example");
        using var chain = Presented(_intermediate, _root);

        Assert.True(lookup.Matches(_leaf, chain, Host).IsMatch);
    }

    [Fact]
    public void DaneTa_ExpiredLeaf_DoesNotMatch()
    {
        using var expired = Leaf(_intermediate, [Host], expired: true);
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root));
        using var chain = Presented(_intermediate, _root);

        var (ok, reason) = lookup.Matches(expired, chain);

        Assert.False(ok);
        Assert.Contains("NotTimeValid", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DaneTa_AnchorTheServerDidNotSend_DoesNotMatch()
    {
        // RFC 7672 §3.1.2: the server must send the trust anchor; a record for a certificate not in the chain matches nothing.
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root));
        using var chain = Presented(_intermediate);

        Assert.False(lookup.Matches(_leaf, chain).IsMatch);
    }

    [Fact]
    public void DaneTa_LeafSignedByAnotherCa_DoesNotMatch()
    {
        using var otherRoot = Root("Other Root");
        using var otherLeaf = Leaf(otherRoot, [Host]);
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _root));
        // The attacker also sends the genuine root, which matches the record, but his leaf does not chain to it.
        using var chain = Presented(_root, otherRoot);

        var (ok, reason) = lookup.Matches(otherLeaf, chain);

        Assert.False(ok, reason);
    }

    [Fact]
    public void DaneTa_SelfSignedLeafAsItsOwnAnchor_NeedsTheName()
    {
        var record = Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, _selfSigned);

        Assert.True(Usable(record, host: "mx.a.test").Matches(_selfSigned, null).IsMatch);
        Assert.False(Usable(record, host: "mx-ta.dane.test").Matches(_selfSigned, null).IsMatch);
    }

    [Theory]
    [InlineData("mx1.dane.example", true)]
    [InlineData("dane.example", false)]
    [InlineData("a.mx1.dane.example", false)]
    public void DaneTa_WildcardName_MatchesOneLabel(string host, bool matches)
    {
        using var wildcard = Leaf(_intermediate, ["*.dane.example"]);
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _intermediate), host);
        using var chain = Presented(_intermediate);

        Assert.Equal(matches, lookup.Matches(wildcard, chain).IsMatch);
    }

    [Fact]
    public void DaneTa_CommonNameCountsOnlyWithoutDnsNames()
    {
        using var cnOnly = Leaf(_intermediate, [], commonName: Host);
        using var sanElsewhere = Leaf(_intermediate, ["elsewhere.example"], commonName: Host);
        var lookup = Usable(Tlsa(TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _intermediate));
        using var chain = Presented(_intermediate);

        Assert.True(lookup.Matches(cnOnly, chain).IsMatch);
        Assert.False(lookup.Matches(sanElsewhere, chain).IsMatch);
    }

    [Fact]
    public void UnusableRecords_AreNotMatchedEvenWhenTheirDataFits()
    {
        // A PKIX-EE(1) record of the very certificate: not usable for SMTP, so it never authenticates.
        var pkix = Tlsa(TlsaUsage.PkixEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _selfSigned);
        var match = DaneMatcher.Match([pkix], _selfSigned, null, Host, Now.UtcDateTime);

        Assert.False(match.IsMatch);
    }

    [Fact]
    public void Statuses_OtherThanUsable_DecideWithoutLookingAtTheCertificate()
    {
        var pkix = Tlsa(TlsaUsage.PkixEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _stranger);

        Assert.True(Lookup(DaneStatus.Unusable, [pkix]).Matches(_selfSigned, null).IsMatch);
        Assert.True(Lookup(DaneStatus.NoRecords, []).Matches(_selfSigned, null).IsMatch);
        Assert.True(Lookup(DaneStatus.Insecure, []).Matches(_selfSigned, null).IsMatch);
        Assert.False(Lookup(DaneStatus.Failed, []).Matches(_selfSigned, null).IsMatch);
    }

    [Fact]
    public void SubjectPublicKeyInfo_IsTheCertificatesOwnBytes()
    {
        using var rsa = new TestCertificateAuthority();

        Assert.Equal(rsa.Certificate.PublicKey.ExportSubjectPublicKeyInfo(), TlsaCertificate.ReadSubjectPublicKeyInfo(rsa.Certificate.RawData));
        Assert.Equal(_leaf.PublicKey.ExportSubjectPublicKeyInfo(), TlsaCertificate.ReadSubjectPublicKeyInfo(_leaf.RawData));
        Assert.Null(TlsaCertificate.ReadSubjectPublicKeyInfo([0x30, 0x03, 0x02, 0x01, 0x00]));
    }

    private static DaneLookup Usable(TlsaRecord record, string host = Host) => Lookup(DaneStatus.Usable, [record], host);

    private static DaneLookup Lookup(DaneStatus status, TlsaRecord[] records, string host = Host) =>
        new(host, 25, status, records, "test", new FakeTimeProvider(Now));
}
