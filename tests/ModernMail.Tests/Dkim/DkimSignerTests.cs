using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Dkim;
using Xunit;

namespace ModernMail.Tests.Dkim;

[Collection(AllocationMeasurement.Name)]
public class DkimSignerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> CorpusNames() => new(DkimCorpus.Names());

    private static DkimSignerOptions Options() => new() { TimeProvider = new FakeTimeProvider(s_now) };

    private static DkimVerifier Verifier() => new(DkimTestKeys.Resolver, new DkimVerifierOptions { TimeProvider = new FakeTimeProvider(s_now) });

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task Sign_CorpusWithRsaAndEd25519_OursAndMimeKitVerifyBoth(string name)
    {
        byte[] message = DkimCorpus.Load(name);
        using var rsa = new DkimSigner(DkimTestKeys.RsaConfig(), Options());
        using var ed25519 = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());

        DkimSignResult[] results = await DkimSigner.SignAllAsync([ed25519, rsa], new MemoryStream(message), TestContext.Current.CancellationToken);
        byte[] signed = [.. Encoding.ASCII.GetBytes(results[0].Header + results[1].Header), .. message];

        IReadOnlyList<DkimVerificationResult> ours = await Verifier().VerifyAsync(signed, TestContext.Current.CancellationToken);
        Assert.Equal([DkimSignatureStatus.Pass, DkimSignatureStatus.Pass], ours.Select(r => r.Status));
        Assert.Equal(["ed25519-sha256", "rsa-sha256"], ours.Select(r => r.Algorithm));
        Assert.Equal([true, true], MimeKitDkim.Verify(signed, DkimTestKeys.Records));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public async Task Sign_SimpleSimple_OursAndMimeKitVerify(string name)
    {
        byte[] message = DkimCorpus.Load(name);
        DkimConfig config = DkimTestKeys.RsaConfig();
        config.HeaderCanonicalization = DkimCanonicalization.Simple;
        config.BodyCanonicalization = DkimCanonicalization.Simple;
        using var signer = new DkimSigner(config, Options());

        byte[] signed = signer.Sign(message);

        Assert.Contains("c=simple/simple;", Encoding.ASCII.GetString(signed));
        Assert.Equal(DkimSignatureStatus.Pass, (await Verifier().VerifyAsync(signed, TestContext.Current.CancellationToken))[0].Status);
        Assert.Equal([true], MimeKitDkim.Verify(signed, DkimTestKeys.Records));
    }

    [Theory]
    [InlineData(DkimKeyType.Rsa)]
    [InlineData(DkimKeyType.Ed25519)]
    public async Task Sign_StreamAndByteArray_GiveTheSameHeader(DkimKeyType keyType)
    {
        byte[] message = DkimCorpus.Load("mimekit:alternative-with-attachment");
        using var signer = new DkimSigner(keyType == DkimKeyType.Rsa ? DkimTestKeys.RsaConfig() : DkimTestKeys.Ed25519Config(), Options());

        string fromStream = await signer.CreateSignatureAsync(new MemoryStream(message), TestContext.Current.CancellationToken);
        string fromBytes = signer.CreateSignature(message).Header;

        Assert.Equal(fromBytes, fromStream);
    }

    [Fact]
    public async Task Sign_Header_IsFoldedTo78CharactersAndCarriesTheExpectedTags()
    {
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "folded-headers.eml"));
        DkimConfig config = DkimTestKeys.RsaConfig();
        config.Expiration = TimeSpan.FromDays(7);
        using var signer = new DkimSigner(config, Options());

        string header = await signer.CreateSignatureAsync(new MemoryStream(message), TestContext.Current.CancellationToken);

        Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.test;", header);
        Assert.EndsWith("\r\n", header);
        string[] lines = header[..^2].Split("\r\n");
        Assert.All(lines, line => Assert.InRange(line.Length, 1, 78));
        Assert.All(lines.Skip(1), line => Assert.StartsWith(" ", line));
        Dictionary<string, string> tags = Tags(header);
        Assert.Equal(s_now.ToUnixTimeSeconds().ToString(), tags["t"]);
        Assert.Equal((s_now.ToUnixTimeSeconds() + 7 * 86400).ToString(), tags["x"]);
        Assert.False(tags.ContainsKey("l"));
        // folded-headers.eml has one From, two Subjects, Cc, References, In-Reply-To, Reply-To, no CTE.
        Assert.Equal("from:to:cc:subject:subject:date:message-id:reply-to:mime-version:content-type:in-reply-to:references:from", tags["h"]);
        Assert.Equal(344, tags["b"].Length);
    }

    [Fact]
    public void Sign_NoExpiration_HasNoX_AndListHeadersAreSigned()
    {
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "list-unsubscribe.eml"));
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());

        Dictionary<string, string> tags = Tags(signer.CreateSignature(message).Header);

        Assert.False(tags.ContainsKey("x"));
        Assert.Equal("ed25519-sha256", tags["a"]);
        Assert.Contains("list-unsubscribe:list-unsubscribe-post", tags["h"]);
        Assert.DoesNotContain("x-mailer", tags["h"]);
    }

    [Fact]
    public void Sign_CustomHeaderList_SignsThoseAndStillOverSignsFrom()
    {
        DkimConfig config = DkimTestKeys.Ed25519Config();
        config.SignedHeaders = ["Subject", "X-Mailer", "X-Absent"];
        using var signer = new DkimSigner(config, Options());
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "list-unsubscribe.eml"));

        Assert.Equal("from:subject:x-mailer:from", Tags(signer.CreateSignature(message).Header)["h"]);
    }

    public static TheoryData<string, string, string> Tampering() => new()
    {
        { "header byte", "Subject: DKIM corpus", "Subject: DKIM corpuS" },
        { "body byte", "This is a plain message.", "This is a plain massage." },
        { "From prepended", "From: Alice Example <alice@sender.test>", "From: Mallory <mallory@evil.test>\r\nFrom: Alice Example <alice@sender.test>" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_TamperedAfterSigning_FailsInOursAndMimeKit(string what, string original, string replacement)
    {
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml"));
        using var rsa = new DkimSigner(DkimTestKeys.RsaConfig(), Options());
        using var ed25519 = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());
        string signed = Encoding.Latin1.GetString(ed25519.Sign(rsa.Sign(message)));
        Assert.Contains(original, signed);

        byte[] tampered = Encoding.Latin1.GetBytes(signed.Replace(original, replacement));

        IReadOnlyList<DkimVerificationResult> ours = await Verifier().VerifyAsync(tampered, TestContext.Current.CancellationToken);
        Assert.All(ours, r => Assert.Equal(DkimSignatureStatus.Fail, r.Status));
        Assert.All(ours, r => Assert.Equal(what == "body byte" ? "body hash did not verify" : "signature did not verify", r.Reason));
        Assert.Equal([false, false], MimeKitDkim.Verify(tampered, DkimTestKeys.Records));
        // The untampered message still passes, so the failure is the tampering.
        Assert.All(await Verifier().VerifyAsync(Encoding.Latin1.GetBytes(signed), TestContext.Current.CancellationToken), r => Assert.Equal(DkimSignatureStatus.Pass, r.Status));
    }

    [Fact]
    public async Task Verify_RelaxedSignatureAfterRefoldingAndTrailingWhitespace_StillPasses()
    {
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml"));
        using var signer = new DkimSigner(DkimTestKeys.RsaConfig(), Options());
        string signed = Encoding.Latin1.GetString(signer.Sign(message));

        string refolded = signed.Replace("Subject: DKIM corpus", "Subject:   DKIM\r\n\t corpus  ").Replace("Alice\r\n", "Alice   \r\n\r\n\r\n");

        Assert.Equal(DkimSignatureStatus.Pass, (await Verifier().VerifyAsync(Encoding.Latin1.GetBytes(refolded), TestContext.Current.CancellationToken))[0].Status);
    }

    [Fact]
    public void Sign_DotStuffedInput_IsNotWhatWasSigned()
    {
        // Signing happens before SMTP dot-stuffing; a stuffed copy of the body must not verify.
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "leading-dots.eml"));
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());
        string signed = Encoding.Latin1.GetString(signer.Sign(message));
        string stuffed = signed.Replace("\r\n.", "\r\n..");

        Assert.Equal([true], MimeKitDkim.Verify(Encoding.Latin1.GetBytes(signed), DkimTestKeys.Records));
        Assert.Equal([false], MimeKitDkim.Verify(Encoding.Latin1.GetBytes(stuffed), DkimTestKeys.Records));
    }

    [Theory]
    [InlineData("From: Alice <alice@sender.test>", 0)]
    [InlineData("From: Alice <alice@mail.sender.test>", 0)]
    [InlineData("From: Alice <alice@SENDER.TEST>", 0)]
    [InlineData("From: Alice <alice@other.test>", 1)]
    [InlineData("From: alice@notsender.test", 1)]
    public void Sign_FromDomainOutsideD_IsReportedAsAWarning(string from, int warnings)
    {
        byte[] message = Encoding.UTF8.GetBytes($"{from}\r\nTo: b@a.test\r\nSubject: x\r\n\r\nbody\r\n");
        var logger = new ListLogger();
        DkimSignerOptions options = Options();
        options.Logger = logger;
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config(), options);

        DkimSignResult result = signer.CreateSignature(message);

        Assert.Equal(warnings, result.Warnings.Count);
        Assert.Equal(warnings, logger.Warnings.Count);
        if (warnings > 0)
        {
            Assert.Contains("is not the DKIM signing domain sender.test", result.Warnings[0]);
        }
    }

    [Fact]
    public async Task Sign_HeaderBlockOverTheCap_ThrowsAClearError()
    {
        var builder = new StringBuilder("From: a@sender.test\r\n");
        while (builder.Length < 1024 * 1024 + 100)
        {
            builder.Append("X-Filler: ").Append('x', 100).Append("\r\n");
        }

        builder.Append("\r\nbody\r\n");
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());

        var error = await Assert.ThrowsAsync<DkimException>(() =>
            signer.CreateSignatureAsync(new MemoryStream(Encoding.ASCII.GetBytes(builder.ToString())), TestContext.Current.CancellationToken));
        Assert.Contains("header block is larger than 1048576 bytes", error.Message);
    }

    [Fact]
    public async Task Sign_LargeBody_StreamsInFlatMemory()
    {
        // 32 MiB of body through a stream that produces it on the fly: only bounded buffers may be used.
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config(), Options());

        long allocated = await AllocationMeasurement.LeastAllocatedAsync(() =>
            signer.CreateSignatureAsync(new GeneratedMessageStream(32 * 1024 * 1024), TestContext.Current.CancellationToken));

        Assert.InRange(allocated, 0, 1024 * 1024);
    }

    [Fact]
    public void Signer_InvalidDomainOrSelector_ThrowsNamingIt()
    {
        DkimConfig config = DkimTestKeys.Ed25519Config();
        config.Domain = "not a domain";
        Assert.Contains("domain \"not a domain\"", Assert.Throws<DkimException>(() => new DkimSigner(config)).Message);

        config = DkimTestKeys.Ed25519Config();
        config.Selector = "sel;ector";
        Assert.Contains("selector \"sel;ector\"", Assert.Throws<DkimException>(() => new DkimSigner(config)).Message);
    }

    [Fact]
    public void Signer_SeedConfigWithoutKey_ThrowsDkimKeyException()
    {
        var config = new DkimConfig { Domain = "sender.test", Selector = "s1" };
        Assert.Contains("has no private key", Assert.Throws<DkimKeyException>(() => new DkimSigner(config)).Message);
    }

    [Fact]
    public async Task CreateAll_BrokerConfigWithTwoIdentities_SignsTwiceWithTheBrokerClock()
    {
        var config = new BrokerConfig { DkimConfig = DkimTestKeys.RsaConfig(), TimeProvider = new FakeTimeProvider(s_now) };
        config.DkimSignatures.Add(DkimTestKeys.Ed25519Config());
        IReadOnlyList<DkimSigner> signers = DkimSigner.CreateAll(config);
        byte[] message = DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "plain.eml"));

        DkimSignResult[] results = await DkimSigner.SignAllAsync(signers, new MemoryStream(message), TestContext.Current.CancellationToken);
        byte[] signed = [.. Encoding.ASCII.GetBytes(results[0].Header + results[1].Header), .. message];

        Assert.Equal([DkimKeyType.Rsa, DkimKeyType.Ed25519], signers.Select(s => s.KeyType));
        Assert.All(results, r => Assert.Equal(s_now.ToUnixTimeSeconds().ToString(), Tags(r.Header)["t"]));
        Assert.Equal([DkimSignatureStatus.Pass, DkimSignatureStatus.Pass], (await Verifier().VerifyAsync(signed, TestContext.Current.CancellationToken)).Select(r => r.Status));
        foreach (DkimSigner signer in signers)
        {
            signer.Dispose();
        }
    }

    private static Dictionary<string, string> Tags(string header)
    {
        string value = Regex.Replace(header["DKIM-Signature:".Length..], @"\s+", "");
        return value.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    private sealed class GeneratedMessageStream(long bodyBytes) : Stream
    {
        private static readonly byte[] s_header = Encoding.ASCII.GetBytes("From: a@sender.test\r\nTo: b@a.test\r\nSubject: big\r\n\r\n");
        private static readonly byte[] s_line = Encoding.ASCII.GetBytes("The quick brown fox  jumps over the lazy dog \t\r\n");
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long total = s_header.Length + bodyBytes;
            int n = (int)Math.Min(buffer.Length, total - _position);
            for (int i = 0; i < n; i++, _position++)
            {
                buffer[i] = _position < s_header.Length ? s_header[_position] : s_line[(_position - s_header.Length) % s_line.Length];
            }

            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
