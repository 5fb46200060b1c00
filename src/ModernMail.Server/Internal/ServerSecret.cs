using System.Security.Cryptography;
using System.Text;
using ModernMail.Server.Configuration;

namespace ModernMail.Server.Internal;

/// <summary>The server secret that unsubscribe tokens and VERP addresses are HMACs with: <see cref="UnsubscribeSettings.Secret"/>,
/// else a random one created once in the data directory ("unsubscribe.key").</summary>
internal static class ServerSecret
{
    /// <exception cref="ServerConfigurationException">The configured secret is too short, or the file cannot be read or written.</exception>
    public static byte[] Load(MailServerSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.Unsubscribe.Secret))
        {
            if (settings.Unsubscribe.Secret.Length < 32)
            {
                throw new ServerConfigurationException("Unsubscribe:Secret: give at least 32 characters (the tokens are only as strong as it).");
            }
            return Encoding.UTF8.GetBytes(settings.Unsubscribe.Secret);
        }
        string path = Path.Combine(settings.DataDirectory, "unsubscribe.key");
        try
        {
            if (File.Exists(path))
            {
                return Convert.FromBase64String(File.ReadAllText(path).Trim());
            }
            Directory.CreateDirectory(settings.DataDirectory);
            byte[] secret = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var file = new StreamWriter(path, Encoding.ASCII, options))
            {
                file.Write(Convert.ToBase64String(secret));
            }
            return secret;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new ServerConfigurationException($"Unsubscribe:Secret: none configured, and \"{path}\" cannot be used: {ex.Message}", ex);
        }
    }
}
