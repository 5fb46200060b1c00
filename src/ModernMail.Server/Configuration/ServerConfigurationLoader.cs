using Microsoft.Extensions.Configuration;

namespace ModernMail.Server.Configuration;

/// <summary>Reads <see cref="MailServerSettings"/> from a JSON file and then MAILBROKER__SECTION__KEY environment variables.</summary>
public static class ServerConfigurationLoader
{
    /// <summary>The environment variable prefix: MAILBROKER__HTTP__LISTEN sets Http:Listen.</summary>
    public const string EnvironmentPrefix = "MAILBROKER__";

    /// <summary>Loads the settings: defaults, then <paramref name="configFile"/> (if given), then the environment.</summary>
    /// <param name="configFile">A JSON file such as docs/mailbroker.example.json; null for none.</param>
    /// <param name="environment">The environment variables to read; null for the process's own.</param>
    /// <exception cref="ServerConfigurationException">The file is missing or malformed, or a value has the wrong type.</exception>
    public static MailServerSettings Load(string? configFile, IDictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        string? baseDirectory = null;
        if (configFile is not null)
        {
            string full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new ServerConfigurationException($"--config: \"{configFile}\" does not exist.");
            }
            baseDirectory = Path.GetDirectoryName(full);
            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            var prefixed = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in environment)
            {
                if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    prefixed[name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
                }
            }
            builder.AddInMemoryCollection(prefixed);
        }

        var settings = new MailServerSettings();
        try
        {
            IConfigurationRoot root = builder.Build();
            root.Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException)
        {
            // The binder and the JSON provider say which key or line is wrong; keep their words, drop the stack.
            string where = configFile is null ? "configuration" : $"--config \"{configFile}\"";
            throw new ServerConfigurationException($"{where}: {Flatten(ex)}", ex);
        }

        if (baseDirectory is not null)
        {
            // Key files next to the configuration file are found wherever the server is started from.
            foreach (var key in settings.Dkim)
            {
                if (key.KeyFile.Length > 0 && !Path.IsPathRooted(key.KeyFile))
                {
                    key.KeyFile = Path.Combine(baseDirectory, key.KeyFile);
                }
            }
            var smtp = settings.Smtp;
            if (!string.IsNullOrWhiteSpace(smtp.CertificatePath) && !Path.IsPathRooted(smtp.CertificatePath))
            {
                smtp.CertificatePath = Path.Combine(baseDirectory, smtp.CertificatePath);
            }
            if (!string.IsNullOrWhiteSpace(smtp.KeyPath) && !Path.IsPathRooted(smtp.KeyPath))
            {
                smtp.KeyPath = Path.Combine(baseDirectory, smtp.KeyPath);
            }
        }
        return settings;
    }

    private static string Flatten(Exception exception)
    {
        var text = new System.Text.StringBuilder(exception.Message);
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            text.Append(": ").Append(inner.Message);
        }
        return text.ToString();
    }
}
