namespace ModernMail.Server.Configuration;

/// <summary>One-click unsubscribe (RFC 8058) for messages sent with "unsubscribe": true.</summary>
public sealed class UnsubscribeSettings
{
    /// <summary>The public base URL of the links (e.g. "https://mail.example.com"; its /u/TOKEN paths must reach this server's HTTP
    /// API). Null: the first HTTP listener's address, which only works for a local instance.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The server secret the tokens are HMACs with (32 characters or more; the same on every node). Null: a random secret
    /// generated once and kept in the data directory ("unsubscribe.key").</summary>
    public string? Secret { get; set; }

    /// <summary>An address that also takes unsubscribe requests by mail (a mailto: link after the URL); null for none.</summary>
    public string? Mailto { get; set; }
}
