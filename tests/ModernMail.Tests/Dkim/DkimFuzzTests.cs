using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Dkim;
using ModernMail.Dkim.Internal;
using Xunit;

namespace ModernMail.Tests.Dkim;

/// <summary>Property tests over generated input: what DKIM reads from the network must never throw unexpectedly.</summary>
public class DkimFuzzTests
{
    private static readonly Gen<byte[]> s_bodies = Gen.OneOfConst((byte)'a', (byte)'.', (byte)' ', (byte)'\t', (byte)'\r', (byte)'\n').Array[0, 200];

    [Fact]
    public void BodyCanonicalization_RandomBodiesAndChunks_MatchTheWholeStringDefinition()
    {
        Gen.Select(s_bodies, Gen.Int[1, 17]).Sample((body, chunk) =>
        {
            foreach (var canonicalization in new[] { DkimCanonicalization.Relaxed, DkimCanonicalization.Simple })
            {
                using var hasher = new DkimBodyHasher(canonicalization);
                for (int i = 0; i < body.Length; i += chunk)
                {
                    hasher.Append(body.AsSpan(i, Math.Min(chunk, body.Length - i)));
                }

                Assert.Equal(SHA256.HashData(Reference(body, canonicalization)), hasher.Complete());
            }
        }, iter: 2000);
    }

    [Fact]
    public void KeyRecordParse_RandomText_NeverThrowsUnexpectedly()
    {
        Gen.String[Gen.Char["v=DKIM1;kpthsn =:/+abc\t"], 0, 80].Sample(text =>
        {
            if (!DkimPublicKeyRecord.TryParse(text, out _, out string? error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                Assert.Throws<DkimKeyException>(() => DkimPublicKeyRecord.Parse(text));
            }
        }, iter: 5000);
    }

    [Fact]
    public async Task Verify_RandomlyMutatedSignedMessage_ReturnsResultsWithoutThrowing()
    {
        using var signer = new DkimSigner(DkimTestKeys.Ed25519Config());
        byte[] signed = signer.Sign(DkimCorpus.Load(Path.Combine("ModernMail.Tests", "Dkim", "Messages", "folded-headers.eml")));
        var verifier = new DkimVerifier(DkimTestKeys.Resolver, new DkimVerifierOptions { TimeProvider = new FakeTimeProvider() });
        int passes = 0;
        var mutations = Gen.Select(Gen.Int[0, signed.Length - 1], Gen.OneOfConst((byte)';', (byte)'=', (byte)' ', (byte)'\r', (byte)'\n', (byte)':', (byte)'x', (byte)'A')).Array[1, 4];

        foreach (var mutation in mutations.Array[200].Single())
        {
            byte[] copy = (byte[])signed.Clone();
            foreach ((int at, byte value) in mutation)
            {
                copy[at] = value;
            }

            IReadOnlyList<DkimVerificationResult> results = await verifier.VerifyAsync(copy, TestContext.Current.CancellationToken);
            Assert.NotEmpty(results);
            passes += results.Count(r => r.Status == DkimSignatureStatus.Pass);
        }

        // Relaxed canonicalization forgives some whitespace changes, but most mutations must break the signature.
        Assert.InRange(passes, 0, 100);
    }

    private static byte[] Reference(byte[] body, DkimCanonicalization canonicalization)
    {
        // RFC 6376 §3.4.3/§3.4.4 on a whole string; a CR not followed by LF is content, a bare LF ends a line.
        var lines = new List<string>();
        var line = new StringBuilder();
        string text = Encoding.Latin1.GetString(body);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
            {
                if (text[i] == '\r')
                {
                    i++;
                }

                lines.Add(line.ToString());
                line.Clear();
            }
            else
            {
                line.Append(text[i]);
            }
        }

        bool unterminated = line.Length > 0;
        if (unterminated)
        {
            lines.Add(line.ToString());
        }

        if (canonicalization == DkimCanonicalization.Relaxed)
        {
            lines = lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, "[ \t]+", " ").TrimEnd(' ')).ToList();
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        string result = lines.Count == 0
            ? (canonicalization == DkimCanonicalization.Simple ? "\r\n" : "")
            : string.Concat(lines.Select(l => l + "\r\n"));
        return Encoding.Latin1.GetBytes(result);
    }
}
