using System.CommandLine;
using System.Net.Mail;
using Microsoft.Extensions.Logging;
using ModernMail.Cli.Options;
using ModernMail.Cli.Output;
using ModernMail.Delivery;
using ModernMail.Smtp;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker send</c>: compose, sign and deliver one message.</summary>
internal static class SendCommand
{
    private const string Description = """
        Compose, DKIM-sign and deliver one message straight to each recipient's mail exchanger (MX lookup, STARTTLS, port 25).
        Prints one line per recipient (or JSON lines with --json). Exit 0: all delivered; 1: some not delivered; 2: invalid input, nothing sent.
        After 5 s without progress it says on stderr what it is waiting for; --timeout caps the whole send.

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
        var timeout = DurationOption.CreateOptional("--timeout", "Give up on the whole send after this long; also caps each SMTP stage's timeout (default: RFC 5321's per-stage limits, minutes each).");
        var command = new Command("send", Description);
        message.AddTo(command);
        broker.AddSigningTo(command);
        broker.AddDeliveryTo(command);
        command.Options.Add(json);
        command.Options.Add(verbose);
        command.Options.Add(timeout);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            using MailMessage mail = message.Build(parse, Console.In, requireRecipient: true);
            BrokerConfig config = broker.Build(parse, mail.From!, forDelivery: true); // Build always sets From.
            TimeSpan? limit = parse.GetValue(timeout);
            if (limit is { } cap)
            {
                config.Timeouts = CapTimeouts(config.Timeouts, cap > TimeSpan.Zero ? cap : throw new UsageException("--timeout must be more than zero."));
            }

            // Silence for a few seconds gets a line saying what we wait for; --verbose shows the whole conversation.
            using var progress = new ProgressReporter(error, TimeSpan.FromSeconds(5));
            using ILoggerFactory logging = CreateLogging(progress, parse.GetValue(verbose));
            config.LoggerFactory = logging;
            await using MailBroker sender = Brokers.Create(config);
            // The stages are capped at the limit, so a stalled stage ends as a per-recipient timeout result; the
            // deadline (a little later) is the backstop for a send that spends the limit over several stages or hosts.
            using var deadline = limit is { } total ? new CancellationTokenSource(total + TimeSpan.FromSeconds(2)) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            IReadOnlyList<DeliveryResult> results;
            try
            {
                results = await sender.SendAsync(mail, linked.Token);
            }
            catch (ArgumentException ex)
            {
                // The broker validates every address before any I/O.
                throw new UsageException(ex.Message, ex);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                error.WriteLine($"mailbroker: gave up after {limit!.Value.TotalSeconds:0.###} s (--timeout) waiting for {progress.WaitingFor}; no recipient is known to be delivered.");
                return ExitCodes.NotDelivered;
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

    private static ILoggerFactory CreateLogging(ProgressReporter progress, bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Debug).AddProvider(progress);
        if (verbose)
        {
            builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace).AddSimpleConsole(options => options.SingleLine = true);
        }
    });

    /// <summary>No stage may wait longer than the whole send is allowed to take.</summary>
    private static SmtpTimeouts CapTimeouts(SmtpTimeouts stages, TimeSpan cap) => new()
    {
        Connect = Min(stages.Connect, cap),
        Greeting = Min(stages.Greeting, cap),
        Command = Min(stages.Command, cap),
        MailFrom = Min(stages.MailFrom, cap),
        RcptTo = Min(stages.RcptTo, cap),
        DataInitiation = Min(stages.DataInitiation, cap),
        DataBlock = Min(stages.DataBlock, cap),
        DataTermination = Min(stages.DataTermination, cap),
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
