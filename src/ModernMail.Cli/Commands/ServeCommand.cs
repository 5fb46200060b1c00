using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModernMail.Cli.Options;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Server;
using ModernMail.Server.Configuration;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker serve</c>: the sending server. The HTTP API and the queue worker in one process until SIGTERM or Ctrl+C;
/// with <c>--exit-when-idle</c> (and no <c>--http</c>) a batch worker that exits once the queue is empty.</summary>
internal static class ServeCommand
{
    /// <summary>Builds the <c>serve</c> command.</summary>
    public static Command Create()
    {
        var server = new ServerOptions();
        var http = new Option<string?>("--http") { Description = $"Where the HTTP API listens: ADDRESS:PORT (comma-separated for several) or 'none' (worker only). Default {HttpSettings.DefaultListen}.", HelpName = "ADDRESS:PORT|none" };
        var smtp = new Option<string?>("--smtp") { Description = $"Where SMTP submission (STARTTLS, AUTH with an API key) listens: ADDRESS:PORT (comma-separated for several) or 'none'. Default {SmtpSettings.DefaultListen}.", HelpName = "ADDRESS:PORT|none" };
        var store = new Option<string?>("--store") { Description = "The queue store: sqlite:PATH or postgres:CONNECTION-STRING. Default: $MAILBROKER_STORE, the configuration's Store, or sqlite:DATA." };
        var concurrency = new Option<int?>("--concurrency", "-n") { Description = "Messages delivered at the same time (default 16)." };
        var perDomain = new Option<int?>("--per-domain") { Description = "Deliveries at the same time to one recipient domain (default 4)." };
        var hostName = new Option<string?>("--hostname") { Description = "Host name for EHLO, Message-IDs and bounces (default: the machine name)." };
        var dns = new Option<string[]>("--dns") { Description = "DNS server address[:port] (repeatable); default: the system's.", AllowMultipleArgumentsPerToken = true };
        var route = new Option<string[]>("--route") { Description = "Static route DOMAIN=HOST[:PORT] ('*' for every domain), skipping MX lookup (repeatable).", AllowMultipleArgumentsPerToken = true };
        var port = new Option<int?>("--port") { Description = "SMTP port of mail exchangers (default 25)." };
        var tls = new Option<TlsPolicy?>("--tls") { Description = "STARTTLS: Opportunistic (default), Required, Verify (a certificate valid for the MX name) or Disabled." };
        var lease = DurationOption.CreateOptional("--lease", "How long a worker owns a message before a crash returns it to the queue (default 2m).");
        var poll = DurationOption.CreateOptional("--poll", "Longest sleep between looks at the store (default 5s).");
        var retryFirst = DurationOption.CreateOptional("--retry-first", "Delay before the first retry (default 300s).");
        var retryMax = DurationOption.CreateOptional("--retry-max", "Longest delay between retries (default 4000s).");
        var lifetime = DurationOption.CreateOptional("--lifetime", "How long a message may stay queued before it expires (default 5d).");
        var grace = DurationOption.CreateOptional("--grace", "On SIGTERM/Ctrl+C, how long in-flight deliveries may finish before they are cancelled and released (default 20s).");
        var capture = new Option<bool>("--capture") { Description = "Deliver nothing: accept, sign and record every message as in production and show it at /captured (development, staging)." };
        var noBounces = new Option<bool>("--no-bounces") { Description = "Do not send delivery status notifications for bounced or expired recipients." };
        var exitWhenIdle = new Option<bool>("--exit-when-idle") { Description = "Exit once nothing is pending or leased (batch runs and tests); runs no HTTP API or SMTP listener unless --http or --smtp is given." };
        var json = new Option<bool>("--json") { Description = "Print each recipient's new state as a JSON line." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log information to stderr (warnings and errors are always logged)." };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "text (one line per entry) or json (one JSON object per line, with the message id and the trace and span ids of the delivery or request it belongs to).",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run the sending server: the HTTP API (127.0.0.1:8025 by default), SMTP submission (127.0.0.1:2587, STARTTLS) and the delivery worker (retries with backoff, bounces, per-domain limits); stops gracefully on SIGTERM or Ctrl+C.")
        {
            http, smtp, store, concurrency, perDomain, hostName, dns, route, port, tls, lease, poll, retryFirst, retryMax, lifetime, grace, noBounces, exitWhenIdle, json, verbose,
            logFormat, capture,
        };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            // Configuration file, then environment (both in Load), then the options given on this command line.
            MailServerSettings settings = server.Load(parse);
            var d = settings.Delivery;
            if (parse.GetValue(store) is { Length: > 0 } s) { settings.Store = s; }
            else if (Environment.GetEnvironmentVariable("MAILBROKER_STORE") is { Length: > 0 } env) { settings.Store = env; }
            if (parse.GetValue(http) is { Length: > 0 } listen) { settings.Http.Listen = listen; }
            else if (parse.GetValue(exitWhenIdle)) { settings.Http.Listen = "none"; }
            if (parse.GetValue(smtp) is { Length: > 0 } smtpListen)
            {
                settings.Smtp.Listen = [smtpListen];
                // "none" turns SMTP off altogether, implicit-TLS listeners from the configuration too.
                if (smtpListen.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) { settings.Smtp.ImplicitTlsListen = []; }
            }
            else if (parse.GetValue(exitWhenIdle)) { settings.Smtp.Listen = ["none"]; settings.Smtp.ImplicitTlsListen = []; }
            if (parse.GetValue(hostName) is { Length: > 0 } h) { settings.HostName = h; }
            if (parse.GetValue(concurrency) is { } n) { d.Concurrency = n; }
            if (parse.GetValue(perDomain) is { } pd) { d.PerDomain = pd; }
            if (parse.GetValue(port) is { } p) { d.Port = p; }
            if (parse.GetValue(tls) is { } t) { d.Tls = t; }
            if (parse.GetValue(lease) is { } l) { d.Lease = l; }
            if (parse.GetValue(poll) is { } pl) { d.Poll = pl; }
            if (parse.GetValue(retryFirst) is { } rf) { d.RetryFirst = rf; }
            if (parse.GetValue(retryMax) is { } rm) { d.RetryMax = rm; }
            if (parse.GetValue(lifetime) is { } lt) { d.Lifetime = lt; }
            if (parse.GetValue(grace) is { } g) { d.Grace = g; }
            if (parse.GetValue(noBounces)) { d.Bounces = false; }
            if (parse.GetValue(capture)) { d.Capture = true; }
            if (parse.GetValue(dns) is { Length: > 0 } servers) { d.Dns = [.. servers]; }
            if (parse.GetValue(route) is { Length: > 0 } routes) { d.Routes = [.. routes]; }

            using var loggers = LoggerFactory.Create(b =>
            {
                if (parse.GetValue(logFormat) == "json")
                {
                    // Scopes carry the message id (deliveries) and, with activity tracking, the trace and span ids.
                    b.AddJsonConsole(o => (o.IncludeScopes, o.UseUtcTimestamp, o.TimestampFormat) = (true, true, "yyyy-MM-ddTHH:mm:ss.fffZ"));
                    b.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
                }
                else
                {
                    b.AddSimpleConsole(o => o.SingleLine = true);
                }
                b.SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
                b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
                // Kestrel's own connection chatter (a client that went away) is not an operator's problem.
                b.AddFilter("Microsoft.AspNetCore.Server.Kestrel", parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Error);
            });
            MailServer mail;
            try
            {
                mail = await MailServer.CreateAsync(settings, loggers, ct);
            }
            catch (ServerConfigurationException ex)
            {
                throw new UsageException(ex.Message, ex);
            }
            await using var _ = mail;
            bool asJson = parse.GetValue(json);
            var output = new object();
            mail.Worker.RecipientUpdated += (_, e) =>
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
            try
            {
                await mail.StartAsync(ct);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"mailbroker serve: cannot listen: {ex.Message}");
                return ExitCodes.Usage;
            }
            await PrintStartedAsync(mail, settings, ct);
            try
            {
                if (parse.GetValue(exitWhenIdle))
                {
                    await WaitUntilIdleAsync(mail.Queue, mail.Worker, d.Poll, ct);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("mailbroker serve: stopping; finishing in-flight requests and deliveries");
            }
            await mail.StopAsync(CancellationToken.None);
            return 0;
        }));
        return command;
    }

    private static async Task PrintStartedAsync(MailServer mail, MailServerSettings settings, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine($"mailbroker serve: delivering from {QueueStoreFactory.Describe(mail.Queue.Options.Store)} as {mail.Worker.Owner} ({mail.Queue.Options.MaxConcurrentDeliveries} at a time)");
        string data = Path.GetFullPath(settings.DataDirectory);
        if (mail.SmtpAddresses.Count > 0)
        {
            // Printed before the HTTP line: whoever waits for "HTTP API on" finds SMTP listening too.
            Console.Error.WriteLine($"mailbroker serve: SMTP submission on {string.Join(", ", mail.SmtpAddresses)}; AUTH PLAIN/LOGIN after TLS, user = key name, password = key secret"
                + (string.IsNullOrWhiteSpace(settings.Smtp.CertificatePath) ? " (self-signed certificate: set Smtp:CertificatePath and Smtp:KeyPath for a real one)" : ""));
        }
        if (mail.InboundAddresses.Count > 0)
        {
            Console.Error.WriteLine($"mailbroker serve: bounce receiver for {settings.Inbound.Domain} on {string.Join(", ", mail.InboundAddresses)} (DSNs and feedback reports to VERP addresses only)");
        }
        if (mail.HttpAddresses.Count > 0)
        {
            Console.Error.WriteLine($"mailbroker serve: HTTP API on {string.Join(", ", mail.HttpAddresses)} (keys in {Path.Combine(data, "server.db")})");
        }
        if ((mail.HttpAddresses.Count == 0 && mail.SmtpAddresses.Count == 0) || await mail.HasActiveKeyAsync(cancellationToken))
        {
            return;
        }
        Console.Error.WriteLine($"mailbroker serve: no API key yet. Create one with:  mailbroker keys create --name app --data {Quote(settings.DataDirectory)} [--domain example.com]");
        if (mail.HttpAddresses.Count > 0)
        {
            Console.Error.WriteLine($"  then:  curl -H 'Authorization: Bearer <secret>' -H 'Content-Type: application/json' {mail.HttpAddresses[0]}/v1/messages -d '{{\"from\":\"you@example.com\",\"to\":[\"them@example.net\"],\"subject\":\"Hi\",\"text\":\"Hello\"}}'");
        }
        else
        {
            Console.Error.WriteLine($"  then:  SMTP to {mail.SmtpAddresses[0]}, user app, password the secret");
        }
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

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
