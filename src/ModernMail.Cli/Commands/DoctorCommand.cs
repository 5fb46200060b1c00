using System.CommandLine;
using System.Net;
using ModernMail.Cli.Options;
using ModernMail.Deliverability;
using ModernMail.Dns;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker doctor</c>: checks a sending setup's published DNS and says what to change.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var options = new DeliverabilityOptions();
        var dns = new Option<string[]>("--dns")
        {
            Description = "A DNS server to ask, ADDR or ADDR:PORT ([v6]:PORT) (repeatable; default: the system's resolvers).",
            HelpName = "ADDR[:PORT]",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("doctor", """
            Check the DNS of a sending setup: SPF (one record, syntax, evaluated for IP), DKIM (record, tags, key length,
            match with --key), DMARC (record, policy, alignment), PTR (exists, forward-confirms, matches HELO), the HELO
            name's A/AAAA, MX, MTA-STS and TLS-RPT. Each check is PASS, WARN or FAIL with the record and what to change.

            Without --ip the doctor checks as if mail left from the first address of the HELO name (A, else AAAA) and adds
            a WARN saying so: SPF and PTR are then checked for that address, and the HELO check cannot fail. Give --ip for
            the address your mail really leaves from. Without --selector there is no DKIM check (a WARN); with --selector
            but no --key the published record is checked but not matched against the key.

            Exit codes: 0 nothing failed (warnings allowed); 1 some check failed; 2 usage or invalid input.

            Example:
              mailbroker doctor --domain example.com --ip 192.0.2.10 --helo mail.example.com --selector s2025 --key s2025.pem
              mailbroker doctor --domain example.com --helo mail.example.com --dns 9.9.9.9 --json
            """);
        options.AddTo(command);
        command.Options.Add(dns);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            string domain = options.GetDomain(parse);
            IPAddress? address = options.GetAddress(parse);
            string helo = options.GetHelo(parse, domain);
            var dkim = options.GetDkim(parse, domain, keyRequired: false);
            DnsClientLookup lookup;
            try
            {
                lookup = new DnsClientLookup(parse.GetValue(dns) ?? []);
            }
            catch (FormatException ex)
            {
                throw new UsageException($"--dns: {ex.Message} Use e.g. 127.0.0.1:5300 or [::1]:53.", ex);
            }

            DoctorCheck? assumed = null;
            if (address is null)
            {
                (address, assumed) = await AddressOfHeloAsync(lookup, helo, ct);
            }

            DoctorReport report = await new DeliverabilityDoctor(lookup).CheckAsync(DeliverabilityOptions.Setup(domain, address, helo, dkim), ct);
            if (assumed is not null)
            {
                report = report with { Checks = [assumed, .. report.Checks] };
            }

            if (parse.GetValue(options.Json))
            {
                output.WriteLine(DeliverabilityRenderer.RenderJson(report));
            }
            else
            {
                output.Write(UseColour(output) ? Colour(DeliverabilityRenderer.RenderText(report)) : DeliverabilityRenderer.RenderText(report));
            }

            if (!report.IsOk)
            {
                error.WriteLine($"mailbroker: {report.Checks.Count(c => c.Status == CheckStatus.Fail)} check(s) failed for {domain}.");
            }

            return report.IsOk ? ExitCodes.Success : ExitCodes.ChecksFailed;
        }));
        return command;
    }

    /// <summary>Without --ip: the HELO name's first A (else AAAA) address, and the WARN that says the doctor assumed it.</summary>
    private static async Task<(IPAddress Address, DoctorCheck Assumed)> AddressOfHeloAsync(IDnsLookup lookup, string helo, CancellationToken cancellationToken)
    {
        DnsQueryResult<IPAddress> a = await lookup.QueryAAsync(helo, cancellationToken);
        DnsQueryResult<IPAddress> found = a.Records.Count > 0 ? a : await lookup.QueryAaaaAsync(helo, cancellationToken);
        if (found.Records.Count == 0)
        {
            throw new UsageException(
                $"--ip not given and the HELO name {helo} has no address ({found.Describe()}); give --ip with the address your mail leaves from.");
        }

        IPAddress address = found.Records[0];
        return (address, new DoctorCheck("IP", CheckStatus.Warn,
            $"no --ip given: checked as if sending from {address}, the address of the HELO name {helo}",
            "give --ip with the public address your mail really leaves from; SPF and PTR are about that address"));
    }

    /// <summary>Colour only for a person at a terminal, and not when NO_COLOR is set (https://no-color.org).</summary>
    private static bool UseColour(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    private static string Colour(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string? colour = lines[i] switch
            {
                var l when l.StartsWith("PASS ", StringComparison.Ordinal) => "32",
                var l when l.StartsWith("WARN ", StringComparison.Ordinal) => "33",
                var l when l.StartsWith("FAIL ", StringComparison.Ordinal) => "31",
                _ => null,
            };
            if (colour is not null)
            {
                lines[i] = $"\e[{colour}m{lines[i][..4]}\e[0m{lines[i][4..]}";
            }
        }

        return string.Join('\n', lines);
    }
}
