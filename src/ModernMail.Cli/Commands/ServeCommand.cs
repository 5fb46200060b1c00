using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModernMail.Cli.Options;
using ModernMail.Delivery;
using ModernMail.Queue;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker serve</c>: run a queue worker that delivers queued mail until stopped (SIGTERM or Ctrl+C).</summary>
internal static class ServeCommand
{
    /// <summary>Builds the <c>serve</c> command.</summary>
    public static Command Create()
    {
        var store = QueueCommand.StoreOption();
        var concurrency = new Option<int>("--concurrency", "-n") { Description = "Messages delivered at the same time.", DefaultValueFactory = _ => 16 };
        var perDomain = new Option<int>("--per-domain") { Description = "Deliveries at the same time to one recipient domain.", DefaultValueFactory = _ => 4 };
        var hostName = new Option<string>("--hostname") { Description = "Host name for EHLO and bounces.", DefaultValueFactory = _ => Environment.MachineName };
        var dns = new Option<string[]>("--dns") { Description = "DNS server address[:port] (repeatable); default: the system's.", AllowMultipleArgumentsPerToken = true };
        var route = new Option<string[]>("--route") { Description = "Static route DOMAIN=HOST[:PORT] ('*' for every domain), skipping MX lookup (repeatable).", AllowMultipleArgumentsPerToken = true };
        var port = new Option<int>("--port") { Description = "SMTP port of mail exchangers.", DefaultValueFactory = _ => 25 };
        var tls = new Option<TlsPolicy>("--tls") { Description = "STARTTLS: Opportunistic, Required or Disabled.", DefaultValueFactory = _ => TlsPolicy.Opportunistic };
        var lease = DurationOption.Create("--lease", "How long a worker owns a message before a crash returns it to the queue.", TimeSpan.FromMinutes(2));
        var poll = DurationOption.Create("--poll", "Longest sleep between looks at the store.", TimeSpan.FromSeconds(5));
        var retryFirst = DurationOption.Create("--retry-first", "Delay before the first retry.", TimeSpan.FromSeconds(300));
        var retryMax = DurationOption.Create("--retry-max", "Longest delay between retries.", TimeSpan.FromSeconds(4000));
        var lifetime = DurationOption.Create("--lifetime", "How long a message may stay queued before it expires.", TimeSpan.FromDays(5));
        var grace = DurationOption.Create("--grace", "On SIGTERM/Ctrl+C, how long in-flight deliveries may finish before they are cancelled and released.", TimeSpan.FromSeconds(20));
        var noBounces = new Option<bool>("--no-bounces") { Description = "Do not send delivery status notifications for bounced or expired recipients." };
        var exitWhenIdle = new Option<bool>("--exit-when-idle") { Description = "Exit once nothing is pending or leased (for batch runs and tests)." };
        var json = new Option<bool>("--json") { Description = "Print each recipient's new state as a JSON line." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log to stderr." };
        var command = new Command("serve", "Deliver queued mail: retries with backoff, bounces, per-domain limits; stops gracefully on SIGTERM or Ctrl+C.")
        {
            store, concurrency, perDomain, hostName, dns, route, port, tls, lease, poll, retryFirst, retryMax, lifetime, grace, noBounces, exitWhenIdle, json, verbose,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            using var loggers = LoggerFactory.Create(b =>
            {
                if (parse.GetValue(verbose))
                {
                    b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
                    b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
                }
            });
            var config = new BrokerConfig
            {
                HostName = parse.GetValue(hostName)!,
                SmtpPort = parse.GetValue(port),
                Tls = parse.GetValue(tls),
                LoggerFactory = loggers,
            };
            foreach (var server in parse.GetValue(dns) ?? []) { config.DnsServers.Add(server); }
            foreach (var entry in parse.GetValue(route) ?? [])
            {
                int eq = entry.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == entry.Length - 1)
                {
                    Console.Error.WriteLine($"mailbroker serve: --route expects DOMAIN=HOST[:PORT], got '{entry}'.");
                    return 2;
                }
                config.Routes[entry[..eq]] = entry[(eq + 1)..];
            }
            var options = new QueueOptions
            {
                MaxConcurrentDeliveries = parse.GetValue(concurrency),
                MaxConcurrentPerDomain = parse.GetValue(perDomain),
                HostName = config.HostName,
                LeaseDuration = parse.GetValue(lease),
                PollInterval = parse.GetValue(poll),
                FirstRetryDelay = parse.GetValue(retryFirst),
                MaxRetryDelay = parse.GetValue(retryMax),
                MessageLifetime = parse.GetValue(lifetime),
                SendBounces = !parse.GetValue(noBounces),
            };
            await using var queue = QueueCommand.Open(parse.GetValue(store)!, options);
            await using var transport = new SmtpTransport(config);
            var worker = new QueueWorker(queue, transport, loggers.CreateLogger<QueueWorker>());
            bool asJson = parse.GetValue(json);
            var output = new object();
            worker.RecipientUpdated += (_, e) =>
            {
                string line = asJson
                    ? JsonSerializer.Serialize(new { id = e.MessageId, recipient = e.Recipient, state = e.State.ToString().ToLowerInvariant(), attempts = e.Attempts, nextAttemptAt = e.NextAttemptAt, detail = e.Detail, bounceId = e.BounceId })
                    : $"{e.MessageId} <{e.Recipient}> {e.State.ToString().ToLowerInvariant()} {e.Detail}";
                lock (output)
                {
                    Console.Out.WriteLine(line);
                    Console.Out.Flush();
                }
            };
            await worker.StartAsync(ct);
            Console.Error.WriteLine($"mailbroker serve: delivering from {options.Store} as {worker.Owner} ({options.MaxConcurrentDeliveries} at a time)");
            try
            {
                if (parse.GetValue(exitWhenIdle))
                {
                    await WaitUntilIdleAsync(queue, worker, options.PollInterval, ct);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("mailbroker serve: stopping; finishing in-flight deliveries");
            }
            using var graceTimer = new CancellationTokenSource(parse.GetValue(grace));
            await worker.StopAsync(graceTimer.Token);
            await worker.DisposeAsync();
            return 0;
        }));
        return command;
    }

    private static async Task WaitUntilIdleAsync(MailQueue queue, QueueWorker worker, TimeSpan poll, CancellationToken cancellationToken)
    {
        var check = poll < TimeSpan.FromMilliseconds(500) ? poll : TimeSpan.FromMilliseconds(500);
        while (true)
        {
            await Task.Delay(check, cancellationToken);
            if (worker.InFlight == 0 && (await queue.ListAsync(pendingOnly: true, limit: 1, cancellationToken)).Count == 0)
            {
                return;
            }
        }
    }
}
