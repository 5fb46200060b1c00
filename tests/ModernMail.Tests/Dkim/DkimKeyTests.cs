using System.Security.Cryptography;
using ModernMail.Dkim;
using Xunit;

namespace ModernMail.Tests.Dkim;

public class DkimKeyTests
{
    [Fact]
    public void FromPem_RsaPkcs1AndPkcs8_LoadTheSameKey()
    {
        using RSA rsa = RSA.Create(2048);
        DkimConfig pkcs1 = DkimConfig.FromPem("sender.test", "s1", rsa.ExportRSAPrivateKeyPem());
        DkimConfig pkcs8 = DkimConfig.FromPem("sender.test", "s1", rsa.ExportPkcs8PrivateKeyPem());

        Assert.Equal(DkimKeyType.Rsa, pkcs1.KeyType);
        Assert.Equal(rsa.ExportParameters(false).Modulus, pkcs1.PrivateKey.Modulus);
        Assert.Equal(rsa.ExportParameters(false).Modulus, pkcs8.PrivateKey.Modulus);
        Assert.Equal("sender.test", pkcs8.Domain);
        Assert.Equal("s1", pkcs8.Selector);
    }

    [Fact]
    public void FromPem_Ed25519Pkcs8_RoundTripsThroughExport()
    {
        DkimKeyPair key = DkimKeyPair.GenerateEd25519();
        string pem = key.ExportPrivateKeyPem();

        DkimKeyPair loaded = DkimKeyPair.FromPem(pem);

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem);
        Assert.Equal(DkimKeyType.Ed25519, loaded.KeyType);
        Assert.Equal(key.ExportPublicKey(), loaded.ExportPublicKey());
        Assert.Equal(32, loaded.ExportPublicKey().Length);
        Assert.Equal(DkimKeyType.Ed25519, DkimConfig.FromPem("sender.test", "ed", pem).KeyType);
    }

    [Fact]
    public void GenerateRsa_ExportsPkcs8ThatOpenSslStyleImportAccepts()
    {
        DkimKeyPair key = DkimKeyPair.GenerateRsa(2048);
        string pem = key.ExportPrivateKeyPem();
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(pem);

        Assert.Equal(2048, rsa.KeySize);
        Assert.Equal(2048, key.KeySize);
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), key.ExportPublicKey());
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1023)]
    public void GenerateRsa_UnderMinimum_IsRefused(int bits)
    {
        Assert.Contains("under 1024 bits are refused", Assert.Throws<DkimKeyException>(() => DkimKeyPair.GenerateRsa(bits)).Message);
    }

    [Fact]
    public void FromPem_Rsa512_IsRefused()
    {
        using RSA rsa = RSA.Create(512);
        var error = Assert.Throws<DkimKeyException>(() => DkimConfig.FromPem("sender.test", "s1", rsa.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("512 bits", error.Message);
    }

    [Fact]
    public void FromPem_RsaParametersUnder1024_RefusedBySigner()
    {
        using RSA rsa = RSA.Create(512);
        var config = new DkimConfig { Domain = "sender.test", Selector = "s1", PrivateKey = rsa.ExportParameters(true) };
        Assert.Contains("512 bits", Assert.Throws<DkimKeyException>(() => new DkimSigner(config)).Message);
    }

    [Theory]
    [InlineData("not a pem at all", "not valid PEM")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "PKCS#8")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", "PKCS#1")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "\"CERTIFICATE\" is not a supported")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----", "encrypted")]
    public void FromPem_Malformed_ThrowsDkimKeyExceptionSayingWhy(string pem, string expected)
    {
        Assert.Contains(expected, Assert.Throws<DkimKeyException>(() => DkimConfig.FromPem("sender.test", "s1", pem)).Message);
    }

    [Fact]
    public void FromPem_EcKey_IsAnUnknownKeyType()
    {
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Assert.Throws<DkimKeyException>(() => DkimConfig.FromPem("sender.test", "s1", ec.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("(EC)", error.Message);
        Assert.Contains("RSA or Ed25519", error.Message);
    }

    [Theory]
    [InlineData("", "s1", "domain is empty")]
    [InlineData("exa mple.com", "s1", "domain \"exa mple.com\"")]
    [InlineData("-bad.example", "s1", "domain \"-bad.example\"")]
    [InlineData("example.com", "a..b", "selector \"a..b\"")]
    [InlineData("example.com", "s1;x=1", "selector \"s1;x=1\"")]
    public void FromPem_InvalidDomainOrSelector_ThrowsNamingIt(string domain, string selector, string expected)
    {
        string pem = DkimTestKeys.Ed25519.ExportPrivateKeyPem();
        Assert.Contains(expected, Assert.Throws<DkimException>(() => DkimConfig.FromPem(domain, selector, pem)).Message);
    }

    [Fact]
    public void DnsRecord_Rsa2048_IsSplitInto255CharacterStrings()
    {
        DkimDnsRecord record = DkimTestKeys.Rsa.CreateDnsRecord("sender.test", "rsa2048");

        Assert.Equal("rsa2048._domainkey.sender.test", record.Name);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", record.Value);
        Assert.Equal(2, record.Strings.Count);
        Assert.All(record.Strings, s => Assert.InRange(s.Length, 1, 255));
        Assert.Equal(255, record.Strings[0].Length);
        Assert.Equal(record.Value, string.Concat(record.Strings));
        string zone = record.ToZoneFileString();
        Assert.StartsWith("rsa2048._domainkey.sender.test. IN TXT (", zone);
        Assert.Contains($"\"{record.Strings[1]}\" )", zone);
    }

    [Fact]
    public void DnsRecord_Ed25519_IsOneString()
    {
        DkimDnsRecord record = DkimTestKeys.Ed25519.CreateDnsRecord("sender.test", "ed25519");

        Assert.Single(record.Strings);
        Assert.Matches("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$", record.Value);
        Assert.Equal($"ed25519._domainkey.sender.test. IN TXT \"{record.Value}\"", record.ToZoneFileString());
    }

    [Fact]
    public void DnsRecord_Rsa4096_NeedsSeveralStrings()
    {
        DkimDnsRecord record = DkimKeyPair.GenerateRsa(4096).CreateDnsRecord("sender.test", "big");
        Assert.Equal(3, record.Strings.Count);
        Assert.All(record.Strings, s => Assert.InRange(s.Length, 1, 255));
    }

    [Fact]
    public void PublicKeyRecord_GeneratedRecords_ParseBack()
    {
        var rsa = DkimPublicKeyRecord.Parse(DkimTestKeys.Rsa.CreateDnsRecord("sender.test", "rsa2048").Value);
        var ed = DkimPublicKeyRecord.Parse(DkimTestKeys.Ed25519.CreateDnsRecord("sender.test", "ed25519").Value);

        Assert.Equal(("DKIM1", "rsa", 2048, false), (rsa.Version, rsa.KeyType, rsa.KeySize, rsa.IsRevoked));
        Assert.Equal(("DKIM1", "ed25519", 256), (ed.Version, ed.KeyType, ed.KeySize));
        Assert.Equal(DkimTestKeys.Ed25519.ExportPublicKey(), ed.PublicKey);
    }

    [Fact]
    public void PublicKeyRecord_AllTags_AreRead()
    {
        string p = Convert.ToBase64String(DkimTestKeys.Ed25519.ExportPublicKey());
        var record = DkimPublicKeyRecord.Parse($"v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; n=notes here; p={p[..20]} {p[20..]}");

        Assert.Equal(["sha256"], record.HashAlgorithms);
        Assert.Equal(["email"], record.ServiceTypes);
        Assert.True(record.IsTesting);
        Assert.True(record.IsStrict);
        Assert.Equal("notes here", record.Notes);
        Assert.Equal(32, record.PublicKey.Length);
    }

    [Fact]
    public void PublicKeyRecord_Defaults_AreRsaAnyService()
    {
        var record = DkimPublicKeyRecord.Parse("p=");
        Assert.Equal("rsa", record.KeyType);
        Assert.True(record.IsRevoked);
        Assert.Equal(["*"], record.ServiceTypes);
        Assert.Empty(record.HashAlgorithms);
        Assert.Null(record.Version);
    }

    [Theory]
    [InlineData("v=DKIM2; p=", "v=DKIM2")]
    [InlineData("k=rsa; v=DKIM1; p=", "first tag")]
    [InlineData("v=DKIM1; k=rsa", "missing p=")]
    [InlineData("v=DKIM1; p=!!!", "not valid base64")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA", "raw 32-byte key")]
    [InlineData("v=DKIM1; k=rsa; p=AAAA", "not an RSA public key")]
    [InlineData("v=DKIM1; p=; p=", "duplicate tag")]
    [InlineData("v=DKIM1; garbage; p=", "without '='")]
    public void PublicKeyRecord_Malformed_ThrowsSayingWhy(string text, string expected)
    {
        Assert.Contains(expected, Assert.Throws<DkimKeyException>(() => DkimPublicKeyRecord.Parse(text)).Message);
        Assert.False(DkimPublicKeyRecord.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error);
    }
}
