using System.CommandLine;
using System.Net;
using ModernMail.Cli.Options;
using ModernMail.Deliverability;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker dns records</c>: the DNS records a sending setup needs (SPF, DKIM, DMARC, PTR, HELO A/AAAA).</summary>
internal static class DnsCommand
{
    public static Command Create()
    {
        var command = new Command("dns", """
            Print the DNS records to publish before sending from a domain.

            Example:
              mailbroker dns records --domain example.com --ip 192.0.2.10 --helo mail.example.com --selector s2025 --key s2025.pem
            """);
        command.Subcommands.Add(CreateRecords());
        return command;
    }

    private static Command CreateRecords()
    {
        var options = new DeliverabilityOptions();
        options.Ip.Required = true;
        var command = new Command("records", """
            Print exactly what to publish for DOMAIN sending from IP: the SPF TXT that authorises IP, the DKIM TXT made from
            the key (with --selector and --key), a DMARC TXT in monitoring mode (p=none; the rua= address is a placeholder to
            replace with a mailbox you read), the PTR record the owner of IP must set, and the A/AAAA record of the HELO name.
            Text output is zone-file lines, each after a comment saying what it is for and who publishes it; --json prints
            [{"name","type","value","purpose","publishedBy"}]. Nothing is looked up. Check the result with 'mailbroker doctor'.

            Example:
              mailbroker dns records --domain example.com --ip 192.0.2.10 --helo mail.example.com --selector s2025 --key s2025.pem
            """);
        options.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (output, error) =>
        {
            string domain = options.GetDomain(parse);
            IPAddress address = options.GetAddress(parse)!; // Required.
            string helo = options.GetHelo(parse, domain);
            var dkim = options.GetDkim(parse, domain, keyRequired: true);
            IReadOnlyList<RecommendedRecord> records = RecommendedRecords.Create(DeliverabilityOptions.Setup(domain, address, helo, dkim));
            if (parse.GetValue(options.Json))
            {
                output.WriteLine(DeliverabilityRenderer.RenderJson(records));
            }
            else
            {
                output.Write(DeliverabilityRenderer.RenderText(records));
                if (dkim.Selector is null)
                {
                    error.WriteLine("mailbroker: no DKIM record: give --selector and --key to include one (create a key with 'mailbroker dkim keygen').");
                }
            }

            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }
}
