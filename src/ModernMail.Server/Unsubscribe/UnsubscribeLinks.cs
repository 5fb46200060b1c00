using ModernMail.Server.Configuration;

namespace ModernMail.Server.Unsubscribe;

/// <summary>The List-Unsubscribe and List-Unsubscribe-Post fields (RFC 2369, RFC 8058) of one copy of a message, with its token.</summary>
internal sealed class UnsubscribeLinks
{
    private readonly string _baseUrl;
    private readonly string? _mailto;

    private UnsubscribeLinks(UnsubscribeTokens tokens, string baseUrl, string? mailto)
    {
        Tokens = tokens;
        _baseUrl = baseUrl.TrimEnd('/');
        _mailto = mailto;
    }

    public UnsubscribeTokens Tokens { get; }

    /// <summary>The header fields for recipient <paramref name="recipient"/> of the copy <paramref name="messageId"/>.</summary>
    public IReadOnlyList<(string Name, string Value)> HeadersFor(string messageId, string recipient, string senderDomain)
    {
        string token = Tokens.Create(messageId, recipient, senderDomain);
        string links = $"<{_baseUrl}/u/{token}>";
        if (_mailto is not null)
        {
            links += $", <mailto:{_mailto}?subject=unsubscribe%20{token}>";
        }
        return [("List-Unsubscribe", links), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")];
    }

    /// <summary>Checks the settings.</summary>
    /// <param name="settings">The server settings.</param>
    /// <param name="defaultBaseUrl">The first HTTP listener's URL, used when no base URL is configured; null without HTTP.</param>
    /// <param name="secret">The server secret (<see cref="Internal.ServerSecret"/>).</param>
    /// <exception cref="ServerConfigurationException">A setting is invalid.</exception>
    public static UnsubscribeLinks? Create(MailServerSettings settings, string? defaultBaseUrl, byte[] secret)
    {
        var unsubscribe = settings.Unsubscribe;
        string? baseUrl = string.IsNullOrWhiteSpace(unsubscribe.BaseUrl) ? defaultBaseUrl : unsubscribe.BaseUrl;
        if (baseUrl is null)
        {
            return null; // No HTTP API: no page to link to.
        }
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new ServerConfigurationException($"Unsubscribe:BaseUrl: \"{baseUrl}\" is not an absolute http(s) URL without query.");
        }
        string? mailto = string.IsNullOrWhiteSpace(unsubscribe.Mailto) ? null : unsubscribe.Mailto.Trim();
        if (mailto is not null && (!System.Net.Mail.MailAddress.TryCreate(mailto, out var address) || address.Address != mailto || mailto.Contains('?', StringComparison.Ordinal)))
        {
            throw new ServerConfigurationException($"Unsubscribe:Mailto: \"{mailto}\" is not a bare e-mail address.");
        }
        return new UnsubscribeLinks(new UnsubscribeTokens(secret), baseUrl, mailto);
    }
}
