using System.Text;
using ModernMail.Dkim;
using ModernMail.Tests.Dkim;
using Xunit;

namespace ModernMail.IntegrationTests.Dkim;

/// <summary>
/// Our signatures against dkimpy and OpenDKIM, and theirs against our verifier, over the message corpus
/// (every .eml under tests/**/Dkim/Messages and tests/testdata/eml, plus MimeKit-composed messages).
/// </summary>
public class DkimToolVerificationTests(DkimTools tools) : IClassFixture<DkimTools>
{
    public static TheoryData<string> CorpusNames() => new(DkimCorpus.Names());

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task OursRsa_DkimpyAndOpenDkimVerify(string name)
    {
        byte[] signed = Sign(DkimCorpus.Load(name), DkimKeyType.Rsa);

        Assert.Equal("pass", await tools.DkimpyVerifyAsync(signed, 0, Token));
        Assert.Equal("pass", await tools.OpenDkimVerifyAsync(signed, Token));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task OursEd25519_DkimpyAndOpenDkimVerify(string name)
    {
        byte[] signed = Sign(DkimCorpus.Load(name), DkimKeyType.Ed25519);

        Assert.Equal("pass", await tools.DkimpyVerifyAsync(signed, 0, Token));
        Assert.Equal("pass", await tools.OpenDkimVerifyAsync(signed, Token));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task OursBoth_DkimpyVerifiesEachSignature(string name)
    {
        using var ed25519 = new DkimSigner(tools.Config(DkimKeyType.Ed25519));
        using var rsa = new DkimSigner(tools.Config(DkimKeyType.Rsa));
        byte[] message = DkimCorpus.Load(name);
        DkimSignResult[] results = await DkimSigner.SignAllAsync([ed25519, rsa], new MemoryStream(message), Token);
        byte[] signed = [.. Encoding.ASCII.GetBytes(results[0].Header + results[1].Header), .. message];

        Assert.Equal("pass", await tools.DkimpyVerifyAsync(signed, 0, Token));
        Assert.Equal("pass", await tools.DkimpyVerifyAsync(signed, 1, Token));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task TheirSignatures_OurVerifierPasses(string name)
    {
        byte[] message = DkimCorpus.Load(name);
        var verifier = new DkimVerifier(new FixedDkimKeyResolver(tools.Records));

        foreach ((string signer, byte[] signed) in new[]
        {
            ("dkimpy rsa", await tools.DkimpySignAsync(message, DkimKeyType.Rsa, Token)),
            ("dkimpy ed25519", await tools.DkimpySignAsync(message, DkimKeyType.Ed25519, Token)),
        })
        {
            DkimVerificationResult result = Assert.Single(await verifier.VerifyAsync(signed, Token));
            Assert.True(result.Status == DkimSignatureStatus.Pass, $"{signer}: {result}");
        }
    }

    [Fact]
    public async Task OpenDkimTestmsgSignature_IsRsaSha1_OurVerifierRefusesIt()
    {
        // opendkim-testmsg signs with rsa-sha1, which RFC 8301 §3.1 forbids verifiers to accept.
        byte[] signed = await tools.OpenDkimSignAsync(DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml")), Token);

        DkimVerificationResult result = Assert.Single(await new DkimVerifier(new FixedDkimKeyResolver(tools.Records)).VerifyAsync(signed, Token));

        Assert.Equal(DkimSignatureStatus.PermError, result.Status);
        Assert.Contains("rsa-sha1", result.Reason);
        Assert.Equal("pass", await tools.OpenDkimVerifyAsync(signed, Token));
    }

    public static TheoryData<string, string, string, DkimKeyType> Tampering()
    {
        var data = new TheoryData<string, string, string, DkimKeyType>();
        foreach (DkimKeyType keyType in new[] { DkimKeyType.Rsa, DkimKeyType.Ed25519 })
        {
            data.Add("header byte", "Subject: DKIM corpus", "Subject: DKIM corpuS", keyType);
            data.Add("body byte", "This is a plain message.", "This is a plain massage.", keyType);
            data.Add("From prepended", "From: Alice Example <alice@sender.test>", "From: Mallory <mallory@evil.test>\r\nFrom: Alice Example <alice@sender.test>", keyType);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Tampered_EveryVerifierFails(string what, string original, string replacement, DkimKeyType keyType)
    {
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml"));
        string signed = Encoding.Latin1.GetString(Sign(message, keyType));
        Assert.Contains(original, signed);
        byte[] tampered = Encoding.Latin1.GetBytes(signed.Replace(original, replacement));

        Assert.Equal("pass", await tools.DkimpyVerifyAsync(Encoding.Latin1.GetBytes(signed), 0, Token));
        Assert.Equal("fail", await tools.DkimpyVerifyAsync(tampered, 0, Token));
        Assert.Equal("fail", await tools.OpenDkimVerifyAsync(tampered, Token));
        DkimVerificationResult ours = Assert.Single(await new DkimVerifier(new FixedDkimKeyResolver(tools.Records)).VerifyAsync(tampered, Token));
        Assert.True(ours.Status == DkimSignatureStatus.Fail, $"{what}: {ours}");
    }

    private byte[] Sign(byte[] message, DkimKeyType keyType)
    {
        using var signer = new DkimSigner(tools.Config(keyType));
        return signer.Sign(message);
    }
}
