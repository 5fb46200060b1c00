using Microsoft.Extensions.Logging;

namespace ModernMail.Smtp.Internal;

/// <summary>Log messages of the SMTP client (EventIds 4100-4199).</summary>
internal static partial class SmtpLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "{Peer} {Direction}: {Line}")]
    public static partial void Transcript(ILogger logger, string peer, char direction, string line);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Connecting to {Peer}")]
    public static partial void Connecting(ILogger logger, string peer);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Connected to {Peer}; waiting for its greeting")]
    public static partial void Connected(ILogger logger, string peer);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "TLS with {Peer}: {Protocol} {Cipher}, certificate valid: {CertificateValid}")]
    public static partial void TlsEstablished(ILogger logger, string peer, string protocol, string cipher, bool certificateValid);
}
