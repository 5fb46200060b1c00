using System.CommandLine;
using ModernMail.Server.Configuration;

namespace ModernMail.Cli.Options;

/// <summary>The options that find the server's configuration and data: --config FILE and --data DIR (serve and keys share them).</summary>
internal sealed class ServerOptions
{
    public Option<string?> Config { get; } = new("--config")
    {
        Description = "A JSON configuration file (see docs/mailbroker.example.json); MAILBROKER__SECTION__KEY environment variables and options override it.",
        HelpName = "FILE",
    };

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "The data directory: the server database (API keys) and, by default, the queue. Default: ./mailbroker-data.",
        HelpName = "DIR",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Data);
    }

    /// <summary>The file's settings, then the environment's, then --data.</summary>
    /// <exception cref="UsageException">The configuration is unusable.</exception>
    public MailServerSettings Load(ParseResult parse)
    {
        MailServerSettings settings;
        try
        {
            settings = ServerConfigurationLoader.Load(parse.GetValue(Config));
        }
        catch (ServerConfigurationException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        if (parse.GetValue(Data) is { Length: > 0 } data)
        {
            settings.DataDirectory = data;
        }
        return settings;
    }
}
