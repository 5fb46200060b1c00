using System.Globalization;

namespace ModernMail.Smtp;

/// <summary>A stage of an SMTP session took longer than its configured timeout; the connection is dead.</summary>
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

    /// <summary>The stage that timed out (e.g. "connect", "greeting", "RCPT TO").</summary>
    public string Command { get; }

    /// <summary>How long we waited.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The server, as "host:port".</summary>
    public string Host { get; }
}
