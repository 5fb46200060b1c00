using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using ModernMail.Tls;
using Xunit;

namespace ModernMail.IntegrationTests.Tls;

/// <summary>
/// DANE against real DNSSEC: knot signs dane.test (TLSA records computed from the Postfix MX certificate) and serves the
/// unsigned nodane.test; a validating unbound with the dane.test trust anchor sets AD. See scripts/testworld/dane.sh.
/// </summary>
public sealed class DaneWorldTests
{
    private static readonly string s_validating = TestWorld.ValidatingResolver.ToString();

    /// <summary>The broker's view: the validating unbound is asked and marked validating.</summary>
    private static readonly DnsClientLookup s_dns = new([s_validating], TimeSpan.FromSeconds(3)) { ValidatingServers = [s_validating] };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public DaneWorldTests() => TestWorld.EnsureDaneUp();

    [Fact]
    public async Task QueryTlsa_SignedZone_IsAuthenticated()
    {
        var result = await s_dns.QueryTlsaAsync("_25._tcp.mx-ok.dane.test", Ct);

        Assert.Equal(DnsOutcome.Found, result.Outcome);
        Assert.True(result.Authenticated);
        var record = Assert.Single(result.Records);
        Assert.Equal("3 1 1", record.ToString()[..5]);
        Assert.Equal(SpkiSha256(PostfixCertificate()), record.Data.ToArray());
    }

    [Fact]
    public async Task Lookup_SignedZone_FindsUsableAuthenticatedTlsa()
    {
        var lookup = await new DaneResolver(s_dns).LookupAsync("mx-ok.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.Usable, lookup.Status);
        Assert.True(lookup.RequiresTls);
        Assert.True(lookup.AuthenticatesByTlsa);
        Assert.Equal(TlsaUsage.DaneEe, Assert.Single(lookup.UsableRecords).Usage);
    }

    [Fact]
    public async Task Lookup_UnsignedZone_IgnoresItsTlsa()
    {
        // The record is there, but no AD: it must be ignored (RFC 7672 §2.2).
        var raw = await s_dns.QueryTlsaAsync("_25._tcp.mx.nodane.test", Ct);
        Assert.Equal(DnsOutcome.Found, raw.Outcome);
        Assert.False(raw.Authenticated);

        var lookup = await new DaneResolver(s_dns).LookupAsync("mx.nodane.test", 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
        Assert.False(lookup.RequiresTls);
        Assert.Empty(lookup.Records);
    }

    [Fact]
    public async Task Lookup_ResolverNotMarkedValidating_IgnoresTlsa()
    {
        // The same validating unbound sets AD, but the configuration does not say it validates: nothing is trusted.
        var unmarked = new DnsClientLookup([s_validating], TimeSpan.FromSeconds(3));
        var raw = await unmarked.QueryTlsaAsync("_25._tcp.mx-ok.dane.test", Ct);
        Assert.Equal(DnsOutcome.Found, raw.Outcome);
        Assert.False(raw.Authenticated);

        var lookup = await new DaneResolver(unmarked).LookupAsync("mx-ok.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
    }

    [Fact]
    public async Task Lookup_AuthoritativeServerMarkedValidating_IsNotAuthenticated()
    {
        // knot signs but never validates, so never sets AD: marking it validating does not make its answers authenticated.
        string knot = TestWorld.SignedZoneServer.ToString();
        var direct = new DnsClientLookup([knot], TimeSpan.FromSeconds(3)) { ValidatingServers = [knot] };

        var lookup = await new DaneResolver(direct).LookupAsync("mx-ok.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
    }

    [Fact]
    public async Task Lookup_NoTlsaInSignedZone_IsAuthenticatedDenial()
    {
        var lookup = await new DaneResolver(s_dns).LookupAsync("mx-none.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.NoRecords, lookup.Status);
        Assert.False(lookup.RequiresTls);
    }

    [Fact]
    public async Task Lookup_OnlyPkixRecords_RequiresTlsWithoutAuthentication()
    {
        var lookup = await new DaneResolver(s_dns).LookupAsync("mx-unusable.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.Unusable, lookup.Status);
        Assert.True(lookup.RequiresTls);
        Assert.False(lookup.AuthenticatesByTlsa);
    }

    [Fact]
    public async Task Lookup_ThroughBrokerConfiguration_TrustsTheConfiguredValidatingResolver()
    {
        var config = new BrokerConfig();
        config.DnsServers.Add(s_validating);
        config.Dane.ValidatingResolvers.Add(s_validating);

        var lookup = await new DaneResolver(DnsClientLookup.FromConfiguration(config, nameof(config)), config.Dane).LookupAsync("mx-ok.dane.test", 25, Ct);

        Assert.Equal(DaneStatus.Usable, lookup.Status);
    }

    [Theory]
    [InlineData("mx-ok.dane.test", true)] // 3 1 1
    [InlineData("mx-full.dane.test", true)] // 3 0 2
    [InlineData("mx-bad.dane.test", false)] // 3 1 1 of something else
    [InlineData("mx-ta.dane.test", false)] // 2 0 1 of the certificate, which names mx.a.test only
    public async Task Matches_PostfixCertificateFromFile(string host, bool matches)
    {
        var lookup = await new DaneResolver(s_dns).LookupAsync(host, 25, Ct);
        Assert.Equal(DaneStatus.Usable, lookup.Status);
        using var certificate = PostfixCertificate();

        var (ok, reason) = lookup.Matches(certificate, null);

        Assert.True(matches == ok, reason);
        if (host == "mx-ta.dane.test")
        {
            Assert.Contains("does not name mx-ta.dane.test", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Matches_InTheStartTlsHandshake_AcceptsMxOkAndRefusesMxBad()
    {
        // The way the transport uses it: the check runs in SslStream's validation callback against what Postfix presents.
        var ok = await new DaneResolver(s_dns).LookupAsync("mx-ok.dane.test", 25, Ct);
        var bad = await new DaneResolver(s_dns).LookupAsync("mx-bad.dane.test", 25, Ct);

        var (accepted, reason) = await StartTlsAsync(ok);
        Assert.True(accepted, reason);
        Assert.Contains("DANE-EE(3)", reason, StringComparison.Ordinal);

        var (refused, why) = await StartTlsAsync(bad);
        Assert.False(refused, why);
    }

    /// <summary>Connects to the Postfix MX, says STARTTLS and handshakes, deciding about the certificate with <paramref name="lookup"/>.</summary>
    private static async Task<DaneMatch> StartTlsAsync(DaneLookup lookup)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(TestWorld.MxAddress, Ct);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
        await ReplyAsync(reader, "220");
        await stream.WriteAsync("EHLO dane-test.example\r\n"u8.ToArray(), Ct);
        await ReplyAsync(reader, "250");
        await stream.WriteAsync("STARTTLS\r\n"u8.ToArray(), Ct);
        await ReplyAsync(reader, "220");

        DaneMatch? match = null;
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = lookup.Host,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                match = lookup.Matches(Assert.IsType<X509Certificate2>(certificate), chain);
                return match.IsMatch;
            },
        };
        try
        {
            await tls.AuthenticateAsClientAsync(options, Ct);
            await tls.WriteAsync("QUIT\r\n"u8.ToArray(), Ct);
        }
        catch (AuthenticationException) when (match is { IsMatch: false })
        {
            // Refused by the callback: the expected outcome for a record that does not match.
        }
        return match ?? throw new InvalidOperationException("the validation callback did not run");
    }

    private static async Task ReplyAsync(StreamReader reader, string code)
    {
        // A reply's last line has a space after the code (RFC 5321 §4.2.1).
        string? line;
        do
        {
            line = await reader.ReadLineAsync(Ct) ?? throw new IOException("the MX closed the connection");
            Assert.StartsWith(code, line, StringComparison.Ordinal);
        }
        while (line.Length > 3 && line[3] == '-');
    }

    private static X509Certificate2 PostfixCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(TestWorld.TlsCertificatePath));

    private static byte[] SpkiSha256(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return System.Security.Cryptography.SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        }
    }
}
