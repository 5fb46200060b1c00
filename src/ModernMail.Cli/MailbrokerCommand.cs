using System.CommandLine;
using ModernMail.Cli.Commands;

namespace ModernMail.Cli;

/// <summary>Builds the <c>mailbroker</c> command tree.</summary>
internal static class MailbrokerCommand
{
    private const string Description = """
        mailbroker: send e-mail straight from this machine to the recipients' mail exchangers, DKIM-signed, over STARTTLS.

        Examples:
          mailbroker demo                                   # the whole pipeline on loopback, no setup
          mailbroker dkim keygen --domain example.com --selector s1 --out s1.pem
          mailbroker send --from ops@example.com --to alice@example.net --subject Hi --text body.txt \
            --dkim-domain example.com --dkim-selector s1 --dkim-key s1.pem
          mailbroker dns records --domain example.com --ip 192.0.2.10 --helo mail.example.com --selector s1 --key s1.pem
          mailbroker serve                                  # HTTP API on 127.0.0.1:8025, data in ./mailbroker-data
          mailbroker keys create --name app --domain example.com
          mailbroker doctor --domain example.com --ip 192.0.2.10 --helo mail.example.com --selector s1 --key s1.pem

        Exit codes: 0 every recipient delivered (doctor: nothing failed); 1 some not delivered (doctor: a check failed); 2 usage or invalid input (nothing sent); 130 cancelled.
        """;

    public static RootCommand Create()
    {
        var root = new RootCommand(Description);
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(RenderCommand.Create());
        root.Subcommands.Add(DkimCommand.Create());
        root.Subcommands.Add(DnsCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(QueueCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(TlsCommand.Create());
        root.Subcommands.Add(EventsCommand.Create());
        root.Subcommands.Add(SuppressionsCommand.Create());
        return root;
    }
}
