using System.Globalization;

namespace ModernMail.Smtp;

/// <summary>A stage of an SMTP session took longer than its configured timeout; the connection is dead.</summary>
/// <remarks>The decision is "retry later": the server was slow, not wrong. Our own timeouts only; the caller's
/// cancellation is an <see cref="OperationCanceledException"/>.</remarks>
public sealed class SmtpTimeoutException : ModernMailException
{
    /// <summary>Creates an exception for <paramref name="command"/> to <paramref name="host"/> after <paramref name="timeout"/>.</summary>
    public SmtpTimeoutException(string command, TimeSpan timeout, string host)
        : base(string.Create(CultureInfo.InvariantCulture, $"{command} to {host} timed out after {timeout.TotalSeconds:0.###} s"))
    {
        Command = command;
        Timeout = timeout;
        Host = host;
    }

    /// <summary>The stage that timed out (e.g. "connect", "greeting", "TLS handshake", "RCPT TO").</summary>
    public string Command { get; }

    /// <summary>How long we waited.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The server, as "mx-host [address:port]".</summary>
    public string Host { get; }
}
