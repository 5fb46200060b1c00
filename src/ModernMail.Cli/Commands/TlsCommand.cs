using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModernMail.Cli.Options;
using ModernMail.Server.Internal;
using ModernMail.Tls.Internal;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker tls report</c>: the TLS sessions 'mailbroker serve' counted per recipient-domain policy (RFC 8460).</summary>
internal static class TlsCommand
{
    public static Command Create()
    {
        var command = new Command("tls", "TLS policy state of 'mailbroker serve': MTA-STS and DANE outcomes per recipient domain.");
        command.Subcommands.Add(CreateReport());
        return command;
    }

    private static Command CreateReport()
    {
        var server = new ServerOptions();
        var date = new Option<string?>("--date") { Description = "The UTC day, YYYY-MM-DD (default: today).", HelpName = "YYYY-MM-DD" };
        var domain = new Option<string?>("--domain") { Description = "Only this recipient (policy) domain.", HelpName = "DOMAIN" };
        var json = new Option<bool>("--json") { Description = "Print the RFC 8460 aggregate reports (a JSON array, one report per policy domain), ready to send to each domain's rua." };
        var command = new Command("report", "Sessions per recipient domain and policy for one day: successes, and failures by RFC 8460 result type (DATA/tls.db, or the PostgreSQL queue database).") { date, domain, json };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var settings = server.Load(parse);
            DateOnly day = DateOnly.FromDateTime(DateTime.UtcNow);
            if (parse.GetValue(date) is { Length: > 0 } text
                && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            {
                throw new UsageException($"--date: expected YYYY-MM-DD, got \"{text}\".");
            }
            await using var state = TlsStateStores.Open(settings);
            var store = state.Reports;
            string? only = parse.GetValue(domain);
            if (parse.GetValue(json))
            {
                using var stdout = Console.OpenStandardOutput();
                await using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                {
                    await TlsReportWriter.WriteAllAsync(writer, store, day, only, settings.HostName, "mailto:postmaster@" + settings.HostName, ct);
                }
                Console.WriteLine();
                return 0;
            }
            var rows = await store.ReadAsync(day, only, ct);
            Console.WriteLine($"TLS sessions on {day:yyyy-MM-dd} (UTC)");
            if (rows.Count == 0)
            {
                Console.WriteLine("  none");
            }
            foreach (var byPolicy in rows.GroupBy(r => (r.Outcome.PolicyDomain, r.Outcome.PolicyType)))
            {
                long ok = byPolicy.Where(r => r.Outcome.ResultType is null).Sum(r => r.Sessions);
                long failed = byPolicy.Where(r => r.Outcome.ResultType is not null).Sum(r => r.Sessions);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {byPolicy.Key.PolicyDomain}  policy={byPolicy.Key.PolicyType}  successful={ok}  failed={failed}"));
                foreach (var (outcome, sessions) in byPolicy.Where(r => r.Outcome.ResultType is not null))
                {
                    string where = outcome.ReceivingMx is null ? "" : $" mx={outcome.ReceivingMx}";
                    string why = outcome.FailureReason is null ? "" : $" ({outcome.FailureReason})";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {outcome.ResultType} x{sessions}{where}{why}"));
                }
            }
            return 0;
        }));
        return command;
    }
}
