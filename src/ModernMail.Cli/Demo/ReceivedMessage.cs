namespace ModernMail.Cli.Demo;

/// <summary>One message as the demo MX stored it for one recipient.</summary>
/// <param name="Recipient">The RCPT TO address.</param>
/// <param name="Path">The .eml file holding the exact bytes received after DATA.</param>
/// <param name="OverTls">True when the transaction ran inside STARTTLS.</param>
internal sealed record ReceivedMessage(string Recipient, string Path, bool OverTls);
