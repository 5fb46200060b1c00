using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Tls;
using Xunit;
using static ModernMail.Tests.Tls.DaneCertificates;

namespace ModernMail.Tests.Tls;

/// <summary>DANE checks inside a real TLS handshake on loopback: what SslStream's validation callback hands over is enough.</summary>
public sealed class DaneHandshakeTests : IDisposable
{
    private const string Host = "mx.dane.example";

    private readonly X509Certificate2 _root = Root();
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;

    public DaneHandshakeTests()
    {
        _intermediate = Intermediate(_root);
        using var leaf = Leaf(_intermediate, [Host]);
        // Through PKCS#12 so the key is usable by SslStream on every platform.
        _leaf = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _root.Dispose();
        _intermediate.Dispose();
        _leaf.Dispose();
    }

    [Fact]
    public async Task DaneTa_IntermediateSentByTheServer_MatchesInTheCallback()
    {
        var match = await HandshakeAsync(Tlsa(TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, _intermediate));

        Assert.True(match.IsMatch, match.Reason);
        Assert.Contains("DANE-TA(2)", match.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DaneEe_Leaf_MatchesInTheCallback()
    {
        var match = await HandshakeAsync(Tlsa(TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha512, _leaf));

        Assert.True(match.IsMatch, match.Reason);
    }

    [Fact]
    public async Task DaneTa_OtherAnchor_RefusesTheHandshake()
    {
        using var other = Root("Other Root");

        var match = await HandshakeAsync(Tlsa(TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatchingType.Sha256, other));

        Assert.False(match.IsMatch, match.Reason);
    }

    /// <summary>A TLS server on 127.0.0.1:0 sending leaf and intermediate; the client decides with a DANE lookup holding <paramref name="record"/>.</summary>
    private async Task<DaneMatch> HandshakeAsync(TlsaRecord record)
    {
        var ct = TestContext.Current.CancellationToken;
        var lookup = new DaneLookup(Host, 25, DaneStatus.Usable, [record], "test", new FakeTimeProvider(Now));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var context = SslStreamCertificateContext.Create(_leaf, [_intermediate], offline: true);
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync(ct);
            await using var server = new SslStream(accepted.GetStream());
            try
            {
                await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context }, ct);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
            {
                // The client refused the certificate.
            }
        }, ct);

        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, ct);
        await using var tls = new SslStream(client.GetStream());
        DaneMatch? match = null;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = Host,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    match = lookup.Matches(Assert.IsType<X509Certificate2>(certificate), chain);
                    return match.IsMatch;
                },
            }, ct);
        }
        catch (System.Security.Authentication.AuthenticationException) when (match is { IsMatch: false })
        {
        }
        await serving;
        return match ?? throw new InvalidOperationException("the validation callback did not run");
    }
}
