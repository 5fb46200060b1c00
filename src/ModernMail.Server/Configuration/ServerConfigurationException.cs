namespace ModernMail.Server.Configuration;

/// <summary>The server's configuration is unusable; the message names the setting and what is wrong with it.</summary>
public sealed class ServerConfigurationException : ModernMailException
{
    /// <summary>Creates an exception with no message.</summary>
    public ServerConfigurationException() { }

    /// <summary>Creates an exception with a message.</summary>
    public ServerConfigurationException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ServerConfigurationException(string message, Exception innerException) : base(message, innerException) { }
}
