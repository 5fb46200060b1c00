using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ModernMail.Dns;

namespace ModernMail.Tls.Internal;

/// <summary>Fetches <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> (RFC 8461 §3.3): certificate validated for the
/// policy host, no redirects, 200 and text/plain only, at most 64 KiB, names resolved through the engine's DNS.</summary>
internal sealed class MtaStsFetcher : IDisposable
{
    private readonly HttpClient _http;

    public MtaStsFetcher(IDnsLookup dns, MtaStsOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // §3.3: "HTTP 3xx redirects MUST NOT be followed"
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = options.FetchTimeout,
            MaxResponseHeadersLength = 16, // KiB
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(dns, context.DnsEndPoint.Host, options.HttpsPort, cancellationToken),
        };
        if (options.TrustedRoots is { } roots)
        {
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
        _http = new HttpClient(handler) { Timeout = options.FetchTimeout };
    }

    /// <summary>The policy body, or a failure as an RFC 8460 result type with a reason.</summary>
    public async Task<(string? Body, string? Failure, string? Detail)> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        var uri = new Uri($"https://mta-sts.{domain}/.well-known/mta-sts.txt");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, "sts-policy-fetch-error", $"{uri} answered {(int)response.StatusCode} (only 200 is a policy; redirects are not followed)");
            }
            if (response.Content.Headers.ContentType is not MediaTypeHeaderValue { MediaType: "text/plain" })
            {
                return (null, "sts-policy-invalid", $"{uri} is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not text/plain");
            }
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                byte[] buffer = new byte[MtaStsPolicy.MaxBytes + 1];
                int length = 0;
                for (int read; length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0;)
                {
                    length += read;
                }
                if (length > MtaStsPolicy.MaxBytes)
                {
                    return (null, "sts-policy-invalid", $"{uri} is larger than {MtaStsPolicy.MaxBytes} bytes");
                }
                return (Encoding.UTF8.GetString(buffer, 0, length), null, null);
            }
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            return (null, "sts-webpki-invalid", $"{uri}: the certificate is not valid for mta-sts.{domain} ({ex.InnerException.Message})");
        }
        catch (HttpRequestException ex)
        {
            return (null, "sts-policy-fetch-error", $"{uri}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, "sts-policy-fetch-error", $"{uri}: no answer within the fetch timeout");
        }
    }

    private static async ValueTask<Stream> ConnectAsync(IDnsLookup dns, string host, int port, CancellationToken cancellationToken)
    {
        var addresses = new List<IPAddress>();
        var a = await dns.QueryAAsync(host, cancellationToken).ConfigureAwait(false);
        addresses.AddRange(a.Records);
        var aaaa = await dns.QueryAaaaAsync(host, cancellationToken).ConfigureAwait(false);
        addresses.AddRange(aaaa.Records);
        if (addresses.Count == 0)
        {
            throw new HttpRequestException($"{host} has no address ({a.Describe()})");
        }
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }
        throw new HttpRequestException($"cannot connect to {host} port {port}: {last!.Message}", last);
    }

    public void Dispose() => _http.Dispose();
}
