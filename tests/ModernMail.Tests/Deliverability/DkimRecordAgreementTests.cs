using System.Net;
using ModernMail.Deliverability;
using ModernMail.Dkim;
using ModernMail.Dns;
using ModernMail.Tests.Dkim;
using Xunit;

namespace ModernMail.Tests.Deliverability;

/// <summary>
/// The doctor and the verifier read the same DKIM key records the same way: for each record, the doctor finds the key
/// usable (no DKIM FAIL) exactly when a signature made with the matching private key verifies against it.
/// </summary>
public class DkimRecordAgreementTests
{
    private const string Domain = DkimTestKeys.Domain;
    private static readonly Lazy<DkimKeyPair> s_weak = new(() => DkimKeyPair.GenerateRsa(1024));

    private static byte[] Plain => DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml"));

    /// <summary>Signer ("rsa", "ed25519", "rsa1024"), the record with {rsa}/{ed}/{weak} for the keys' p= values, and both expected verdicts.</summary>
    public static TheoryData<string, string, bool, bool> Cases => new()
    {
        // The records from issue 10 on which the two parsers disagreed.
        { "ed25519", "v=DKIM1;; k=ed25519; p={ed}", true, true }, // empty tag-spec: outside §3.2's grammar; skipped, with a warning
        { "rsa", "v=DKIM1;; p={rsa}", true, true },
        { "ed25519", "v=DKIM1; k=ED25519; p={ed}", true, true }, // k= is case-insensitive (quoted ABNF); dkimpy is not: warning
        { "rsa", "v=DKIM1; k=RSA; p={rsa}", true, true },
        { "rsa", "vx=1; v=DKIM1; p={rsa}", false, false }, // v= present but not first: invalid (§3.6.1)
        { "ed25519", "vx=1; v=DKIM1; k=ed25519; p={ed}", false, false },

        // Plain records, and the grammar's own optional trailing ";".
        { "rsa", "v=DKIM1; k=rsa; p={rsa}", true, false },
        { "ed25519", "v=DKIM1; k=ed25519; p={ed}", true, false },
        { "rsa", "p={rsa}", true, false }, // v= and k= are optional; k defaults to rsa
        { "rsa", "v=DKIM1; k=rsa; p={rsa};", true, false },
        { "rsa", "  v = DKIM1 ;\tk = rsa ; p = {rsa} ", true, false }, // FWS around names, "=" and values
        { "rsa", ";v=DKIM1; p={rsa}", true, true }, // a leading empty tag-spec: v= is still the first tag
        { "rsa1024", "v=DKIM1; p={weak}", true, false }, // 1024 bits: the doctor warns, the verifier accepts (RFC 8301)

        // Version: exactly "DKIM1" (the ABNF spells it in hex), tag names are case-sensitive.
        { "rsa", "v=DKIM2; p={rsa}", false, false },
        { "rsa", "v=dkim1; p={rsa}", false, false },
        { "rsa", "V=DKIM1; p={rsa}", true, false }, // "V" is not "v": an unknown tag, ignored
        { "rsa", "v=DKIM1; P={rsa}", false, false }, // no p=
        { "rsa", "v=DKIM1; p={rsa}; p={rsa}", false, false }, // duplicate tag: the whole list is invalid (§3.2)
        { "rsa", "v=DKIM1; p={rsa}; x_future=1; n=notes", true, false }, // unknown tags ignored
        { "rsa", "v=DKIM1; x-future=1; p={rsa}", false, false }, // "-" is not ALNUMPUNC: not a tag-name, the list is malformed

        // Key material and key type.
        { "rsa", "v=DKIM1; k=rsa; p=", false, false }, // revoked
        { "rsa", "v=DKIM1; p=!!not-base64!!", false, false },
        { "rsa", "v=DKIM1; k=dsa; p={rsa}", false, false },
        { "rsa", "v=DKIM1; k=ed25519; p={rsa}", false, false }, // an RSA key is not a 32-byte Ed25519 key
        { "ed25519", "v=DKIM1; k=rsa; p={ed}", false, false },
        { "rsa", "v=DKIM1; k=ed25519; p={ed}", false, false }, // a valid key of the other type
        { "rsa", "v=DKIM1; p={weak}", false, false }, // someone else's key

        // h=, s=, t=: lists compared case-insensitively.
        { "rsa", "v=DKIM1; h=sha1; p={rsa}", false, false },
        { "rsa", "v=DKIM1; h=sha1:sha256; p={rsa}", true, false },
        { "ed25519", "v=DKIM1; k=ed25519; h=SHA256; p={ed}", true, false },
        { "rsa", "v=DKIM1; s=email; p={rsa}", true, false },
        { "rsa", "v=DKIM1; s=*; p={rsa}", true, false },
        { "rsa", "v=DKIM1; s=tlsrpt; p={rsa}", false, false },
        { "rsa", "v=DKIM1; s=Email; p={rsa}", true, false },
        { "rsa", "v=DKIM1; t=y; p={rsa}", true, false },
        { "rsa", "v=DKIM1; t=s; p={rsa}", true, false }, // i= is at d= itself
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DoctorAndVerifier_Agree(string signer, string template, bool usable, bool strictVerifiersWarned)
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, selector) = signer switch
        {
            "ed25519" => (DkimTestKeys.Ed25519, "ed25519"),
            "rsa1024" => (s_weak.Value, "rsa1024"),
            _ => (DkimTestKeys.Rsa, "rsa2048"),
        };
        string record = template
            .Replace("{rsa}", Convert.ToBase64String(DkimTestKeys.Rsa.ExportPublicKey()), StringComparison.Ordinal)
            .Replace("{ed}", Convert.ToBase64String(DkimTestKeys.Ed25519.ExportPublicKey()), StringComparison.Ordinal)
            .Replace("{weak}", Convert.ToBase64String(s_weak.Value.ExportPublicKey()), StringComparison.Ordinal);

        using var dkim = new DkimSigner(key.ToConfig(Domain, selector));
        var verified = Assert.Single(await new DkimVerifier(new FixedDkimKeyResolver(record)).VerifyAsync(dkim.Sign(Plain), ct));

        var dns = new InMemoryDnsLookup();
        dns.AddTxt($"{selector}._domainkey.{Domain}", record);
        var report = await new DeliverabilityDoctor(dns).CheckAsync(new DeliverabilitySetup
        {
            Domain = Domain,
            Address = IPAddress.Parse("192.0.2.10"),
            HeloName = "mail." + Domain,
            DkimSelector = selector,
            DkimPrivateKeyPem = key.ExportPrivateKeyPem(),
        }, ct);
        var checks = report.Checks.Where(c => c.Area == "DKIM").ToList();
        string doctorSays = string.Join(" | ", checks.Select(c => $"{c.Status}: {c.Summary}"));

        Assert.True(usable == (verified.Status == DkimSignatureStatus.Pass), $"verifier: {verified.Status} {verified.Reason}");
        Assert.True(usable == checks.All(c => c.Status != CheckStatus.Fail), $"doctor: {doctorSays}");
        Assert.True(strictVerifiersWarned == checks.Any(c => c.Status == CheckStatus.Warn && c.Summary.Contains("strict verifiers", StringComparison.Ordinal)),
            $"doctor: {doctorSays}");
    }

    [Theory]
    [InlineData("v=DKIM1;; p=x", "empty tag")]
    [InlineData("v=DKIM1; k=ED25519; p=x", "k=ED25519 is read as k=ed25519")]
    public void PortabilityWarnings_NameTheProblem(string template, string expected)
    {
        string record = template.Replace("p=x", "p=" + Convert.ToBase64String(DkimTestKeys.Ed25519.ExportPublicKey()), StringComparison.Ordinal)
            .Replace("v=DKIM1;; ", "v=DKIM1;; k=ed25519; ", StringComparison.Ordinal);

        Assert.True(DkimPublicKeyRecord.TryParse(record, out var parsed, out var error), error);
        Assert.Contains(expected, Assert.Single(parsed.PortabilityWarnings), StringComparison.Ordinal);
    }

    [Fact]
    public void VersionNotFirst_SaysWhichTagCameFirst()
    {
        Assert.False(DkimPublicKeyRecord.TryParse("vx=1; v=DKIM1; p=", out _, out var error));
        Assert.Equal("v= must be the first tag, but the record starts with vx=", error);
    }
}
