using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModernMail.Server.Http;
using ModernMail.Server.Keys;

namespace ModernMail.Server.Status;

/// <summary>The one access rule for what shows every sender's mail (<c>/metrics</c>, the status page and <c>/v1/status/...</c>):
/// free on a loopback listener, otherwise an active API key without a domain list.</summary>
/// <remarks>A request that names a client in <c>Forwarded</c> or <c>X-Forwarded-For</c> came through a proxy, so its loopback
/// connection says nothing about who is asking: it needs a key like any other remote request. So does one whose <c>Host</c> is
/// not <c>localhost</c> or a loopback address: a web page whose name was re-pointed at 127.0.0.1 (DNS rebinding) makes the
/// browser on this machine connect over loopback, but with the page's own name as the host.</remarks>
internal static class OperatorAccess
{
    /// <summary>Null when the request may see operator data; else the 401 or 403 to answer (<paramref name="what"/> names the resource in the 403).</summary>
    public static async Task<ApiOutcome?> CheckAsync(HttpContext context, string what)
    {
        if (IsLocal(context))
        {
            return null;
        }
        // The same Bearer check as every /v1 endpoint (ApiKeyFilter), then: the numbers cover every sender, so no domain-limited key.
        var (key, refusal) = await ApiKeyFilter.AuthenticateAsync(context, context.RequestServices.GetRequiredService<ApiKeyService>(),
            context.RequestServices.GetRequiredService<ILogger<ApiKeyFilter>>()).ConfigureAwait(false);
        if (key is null)
        {
            return refusal;
        }
        if (key.Domains.Count > 0)
        {
            return ApiOutcome.Problem(new ApiProblem(403, "Forbidden",
                $"The API key \"{key.Name}\" is limited to {string.Join(", ", key.Domains)}; {what} covers every sender and needs a key without a domain list.", "Authorization"));
        }
        return null;
    }

    /// <summary>True for a request on a loopback listener, addressed to a loopback name, that did not come through a proxy.</summary>
    public static bool IsLocal(HttpContext context) =>
        context.Connection.LocalIpAddress is { } local && IPAddress.IsLoopback(local) && IsLoopbackHost(context.Request.Host.Host)
        && !context.Request.Headers.ContainsKey("Forwarded") && !context.Request.Headers.ContainsKey("X-Forwarded-For");

    /// <summary>"localhost", a loopback address, or no Host at all (HTTP/1.0: not a browser, which always names the host).</summary>
    private static bool IsLoopbackHost(string host) =>
        host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
