using System.CommandLine;
using System.Net.Mail;
using Microsoft.Extensions.Logging;
using ModernMail.Cli.Options;
using ModernMail.Cli.Output;
using ModernMail.Delivery;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker send</c>: compose, sign and deliver one message.</summary>
internal static class SendCommand
{
    private const string Description = """
        Compose, DKIM-sign and deliver one message straight to each recipient's mail exchanger (MX lookup, STARTTLS, port 25).
        Prints one line per recipient (or JSON lines with --json). Exit 0: all delivered; 1: some not delivered; 2: invalid input, nothing sent.

        Example:
          mailbroker send --from "Ops <ops@example.com>" --to alice@example.net --subject "Hello" --text body.txt \
            --attach report.pdf --dkim-domain example.com --dkim-selector s2025 --dkim-key s2025.pem --json
        """;

    public static Command Create()
    {
        var message = new MessageOptions();
        var broker = new BrokerOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per recipient (JSON lines) instead of text." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log the SMTP conversation (never bodies) to standard error." };
        var command = new Command("send", Description);
        message.AddTo(command);
        broker.AddSigningTo(command);
        broker.AddDeliveryTo(command);
        command.Options.Add(json);
        command.Options.Add(verbose);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            using MailMessage mail = message.Build(parse, Console.In, requireRecipient: true);
            BrokerConfig config = broker.Build(parse, mail.From!, forDelivery: true); // Build always sets From.
            using ILoggerFactory? logging = parse.GetValue(verbose) ? CreateLogging() : null;
            config.LoggerFactory = logging;
            await using MailBroker sender = Brokers.Create(config);
            IReadOnlyList<DeliveryResult> results;
            try
            {
                results = await sender.SendAsync(mail, ct);
            }
            catch (ArgumentException ex)
            {
                // The broker validates every address before any I/O.
                throw new UsageException(ex.Message, ex);
            }

            ResultPrinter.Print(results, parse.GetValue(json), output);
            int delivered = results.Count(r => r.Delivered);
            if (!parse.GetValue(json))
            {
                error.WriteLine($"{delivered} of {results.Count} recipient(s) delivered.");
            }

            return delivered == results.Count ? ExitCodes.Success : ExitCodes.NotDelivered;
        }));
        return command;
    }

    private static ILoggerFactory CreateLogging() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Debug)
        .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(options => options.SingleLine = true));
}
