using System.Security.Cryptography;
using System.Text;
using ModernMail.Dkim;
using ModernMail.Dkim.Internal;
using Xunit;

namespace ModernMail.Tests.Dkim;

/// <summary>The test vectors of RFC 8463 Appendix A: keys (A.1), DNS records (A.2) and the signed message (A.3).</summary>
public class Rfc8463Tests
{
    // A.1: the Ed25519 private key is RFC 8032 test 1's secret key.
    private const string Ed25519Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

    private const string RsaPrivateKey = """
        -----BEGIN RSA PRIVATE KEY-----
        MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi
        Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM
        KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB
        AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm
        6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe
        zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy
        6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc
        uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy
        WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd
        WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a
        licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst
        o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe
        uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL
        -----END RSA PRIVATE KEY-----
        """;

    // A.2
    private const string BrisbaneRecord = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    private const string TestRecord =
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" +
        "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" +
        "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" +
        "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    // A.3
    private const string Ed25519B = "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
    private const string RsaB = "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2JzdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=";

    private static readonly string[] s_lines =
    [
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
        " subject : date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
        " date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
        "From: Joe SixPack <joe@football.example.com>",
        "To: Suzie Q <suzie@shopping.example.net>",
        "Subject: Is dinner ready?",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        "",
        "Joe.",
        "",
    ];

    private static byte[] Message => Encoding.ASCII.GetBytes(string.Join("\r\n", s_lines));

    private static FixedDkimKeyResolver Resolver => new(new Dictionary<string, string>
    {
        ["brisbane._domainkey.football.example.com"] = BrisbaneRecord,
        ["test._domainkey.football.example.com"] = TestRecord,
    });

    [Fact]
    public void Ed25519Seed_DerivesThePublishedPublicKey()
    {
        DkimKeyPair key = FromSeed(Ed25519Seed);

        Assert.Equal("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", Convert.ToBase64String(key.ExportPublicKey()));
        Assert.Equal(BrisbaneRecord, key.CreateDnsRecord("football.example.com", "brisbane").Value);
    }

    [Fact]
    public void RsaKey_Pkcs1Pem_PublishesTheA2Record()
    {
        DkimConfig config = DkimConfig.FromPem("football.example.com", "test", RsaPrivateKey);
        Assert.Equal(DkimKeyType.Rsa, config.KeyType);

        var record = DkimPublicKeyRecord.Parse(TestRecord);
        Assert.Equal(1024, record.KeySize);
        Assert.Equal(record.PublicKey, DkimKeyPair.FromPem(RsaPrivateKey).ExportPublicKey());
    }

    [Fact]
    public void BodyHash_RelaxedBody_IsThePublishedBh()
    {
        byte[] message = Message;
        using HeaderBlock block = HeaderBlock.Read(message, 1 << 20, out int body);
        using var hasher = new DkimBodyHasher(DkimCanonicalization.Relaxed);
        hasher.Append(message.AsSpan(body));

        Assert.Equal("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", Convert.ToBase64String(hasher.Complete()));
    }

    [Theory]
    [InlineData(0, Ed25519B)]
    [InlineData(1, RsaB)]
    public void Signature_SameInputs_ReproducesThePublishedBExactly(int index, string expected)
    {
        // Ed25519 and RSASSA-PKCS1-v1_5 are deterministic: signing the same header data gives the same b=.
        byte[] message = Message;
        using HeaderBlock block = HeaderBlock.Read(message, 1 << 20, out _);
        HeaderField field = block.Fields.Where(f => block.NameEquals(f, "dkim-signature")).ElementAt(index);
        DkimSignatureFields signature = DkimSignatureFields.Parse(block.RawString(field), out string? error, out _, out _, out _)
            ?? throw new InvalidOperationException(error);
        DkimConfig config = index == 0
            ? FromSeed(Ed25519Seed).ToConfig("football.example.com", "brisbane")
            : DkimConfig.FromPem("football.example.com", "test", RsaPrivateKey);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        DkimHeaderCanonicalizer.AppendSignedHeaders(hash, block, signature.SignedHeaders,
            Encoding.Latin1.GetBytes(DkimTagList.RemoveSignatureValue(signature.Raw)), signature.HeaderCanonicalization);
        using DkimSigningKey key = DkimSigningKey.Create(config);

        Assert.Equal(expected, Convert.ToBase64String(key.SignHash(hash.GetHashAndReset())));
    }

    [Fact]
    public async Task Verify_PublishedMessage_BothSignaturesPass()
    {
        var verifier = new DkimVerifier(Resolver);

        IReadOnlyList<DkimVerificationResult> results = await verifier.VerifyAsync(Message, TestContext.Current.CancellationToken);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimSignatureStatus.Pass, r.Status));
        Assert.Equal(["ed25519-sha256", "rsa-sha256"], results.Select(r => r.Algorithm));
        Assert.All(results, r => Assert.Equal("football.example.com", r.Domain));
    }

    [Fact]
    public async Task Verify_PublishedMessageWithChangedSubject_BothFail()
    {
        byte[] message = Encoding.ASCII.GetBytes(string.Join("\r\n", s_lines).Replace("Is dinner ready?", "Is dinner ready!"));

        IReadOnlyList<DkimVerificationResult> results = await new DkimVerifier(Resolver).VerifyAsync(message, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.Equal(DkimSignatureStatus.Fail, r.Status));
        Assert.All(results, r => Assert.Equal("signature did not verify", r.Reason));
    }

    [Fact]
    public void MimeKit_PublishedMessage_VerifiesBoth()
    {
        // An independent check that the vector was typed in correctly.
        var records = new[] { ("brisbane", BrisbaneRecord), ("test", TestRecord) };
        MimeKit.MimeMessage message = MimeKit.MimeMessage.Load(new MemoryStream(Message), TestContext.Current.CancellationToken);
        var verifier = new MimeKit.Cryptography.DkimVerifier(new RecordLocator(records));
        foreach (MimeKit.Header header in message.Headers.Where(h => h.Id == MimeKit.HeaderId.DkimSignature))
        {
            Assert.True(verifier.Verify(message, header, TestContext.Current.CancellationToken));
        }
    }

    private static DkimKeyPair FromSeed(string seed)
    {
        byte[] der = [.. Convert.FromHexString("302e020100300506032b657004220420"), .. Convert.FromBase64String(seed)];
        return DkimKeyPair.FromPem(PemEncoding.WriteString("PRIVATE KEY", der));
    }

    private sealed class RecordLocator((string Selector, string Record)[] records) : MimeKit.Cryptography.DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            GetPublicKey(records.Single(r => r.Selector == selector).Record);

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
