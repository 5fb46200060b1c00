using System.Net;
using ModernMail.Dkim;
using ModernMail.Tests.Dkim;
using Xunit;

namespace ModernMail.IntegrationTests.Dkim;

/// <summary>Key lookup through the test world's dnsmasq (127.0.0.1:5300), which publishes the committed test keys.</summary>
public class DnsDkimKeyResolverTests
{
    private static readonly IPEndPoint s_dns = new(IPAddress.Loopback, 5300);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<IReadOnlyList<string>> LookupAsync(string selector, string domain)
    {
        try
        {
            return await new DnsDkimKeyResolver(s_dns).GetKeyRecordsAsync(selector, domain, Token);
        }
        catch (DkimKeyLookupException ex)
        {
            throw new InvalidOperationException("The test world's DNS (127.0.0.1:5300) did not answer; run scripts/testworld/up.sh", ex);
        }
    }

    [Theory]
    [InlineData("rsa2048", "rsa", 2048)]
    [InlineData("ed25519", "ed25519", 256)]
    public async Task Lookup_PublishedSelector_ReturnsAParsableRecord(string selector, string keyType, int bits)
    {
        IReadOnlyList<string> records = await LookupAsync(selector, "sender.test");

        var record = DkimPublicKeyRecord.Parse(Assert.Single(records));
        Assert.Equal(keyType, record.KeyType);
        Assert.Equal(bits, record.KeySize);
    }

    [Fact]
    public async Task Lookup_UnknownSelector_ReturnsNothing()
    {
        Assert.Empty(await LookupAsync("nosuchselector", "sender.test"));
    }

    [Theory]
    [InlineData("rsa2048")]
    [InlineData("ed25519")]
    public async Task SignWithCommittedKey_VerifyThroughDns_Passes(string selector)
    {
        string pem = Path.Combine(DkimCorpus.RepositoryRoot, "tests", "testdata", "dkim", selector + ".pem");
        if (!File.Exists(pem))
        {
            Assert.Skip($"{pem} is not in this checkout (the test world's keys)");
        }

        using var signer = new DkimSigner(DkimConfig.FromPem("sender.test", selector, await File.ReadAllTextAsync(pem, Token)));
        byte[] signed = signer.Sign(DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml")));

        DkimVerificationResult result = Assert.Single(await new DkimVerifier(new DnsDkimKeyResolver(s_dns)).VerifyAsync(signed, Token));

        Assert.Equal(DkimSignatureStatus.Pass, result.Status);
    }
}
