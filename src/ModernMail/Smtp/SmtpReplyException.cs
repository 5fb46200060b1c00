namespace ModernMail.Smtp;

/// <summary>The server answered a command with a 4xx or 5xx reply; the connection is still usable.</summary>
public sealed class SmtpReplyException : ModernMailException
{
    /// <summary>Creates an exception for a negative reply to <paramref name="command"/> from <paramref name="host"/>.</summary>
    public SmtpReplyException(SmtpReply reply, string command, string host)
        : base($"{command} to {host} failed: {reply}")
    {
        ArgumentNullException.ThrowIfNull(reply);
        Reply = reply;
        Command = command;
        Host = host;
    }

    /// <summary>The server's reply.</summary>
    public SmtpReply Reply { get; }

    /// <summary>The command the reply answered (e.g. "RCPT TO").</summary>
    public string Command { get; }

    /// <summary>The server, as "host:port".</summary>
    public string Host { get; }

    /// <summary>True for 4xx replies.</summary>
    public bool IsTransient => Reply.IsTransient;

    /// <summary>True for 5xx replies.</summary>
    public bool IsPermanent => Reply.IsPermanent;
}
