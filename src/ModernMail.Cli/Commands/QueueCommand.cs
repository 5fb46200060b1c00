using System.CommandLine;
using System.Globalization;
using System.Net.Mail;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModernMail.Cli.Options;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using ModernMail.Server.Configuration;
using ModernMail.Server.Submission;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker queue add|list|show|retry|purge</c>: manage the durable outbound queue.</summary>
internal static class QueueCommand
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The store option shared by the queue commands and serve.</summary>
    /// <summary>Queues through the server configuration's submission path (<see cref="ConfiguredSubmission"/>); prints the copy ids.</summary>
    private static async Task<int> AddAsServerAsync(MailServerSettings settings, MailMessage message, bool unsubscribe, bool json, CancellationToken ct)
    {
        IReadOnlyList<SubmittedMessage> copies;
        try
        {
            copies = await ConfiguredSubmission.EnqueueAsync(settings, message, unsubscribe, ct);
        }
        catch (ServerConfigurationException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        if (json)
        {
            var recipients = copies.SelectMany(c => c.Recipients.Select((r, i) => new
            {
                email = r,
                messageId = c.Id,
                status = c.States[i] == RecipientState.Suppressed ? "suppressed" : "queued",
            }));
            Console.WriteLine(JsonSerializer.Serialize(new { id = copies[0].Id, recipients }, s_json));
        }
        else
        {
            foreach (var copy in copies)
            {
                Console.WriteLine(copy.Id);
            }
        }
        return 0;
    }

    internal static Option<string> StoreOption() => new("--store")
    {
        Description = "The queue store: sqlite:PATH (a directory or .db file) or postgres:CONNECTION-STRING. Default: $MAILBROKER_STORE or sqlite:./mailbroker-data (where 'mailbroker serve' keeps it)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MAILBROKER_STORE") is { Length: > 0 } env ? env : "sqlite:mailbroker-data",
    };

    /// <summary>Builds the <c>queue</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("queue", "Manage the durable outbound queue (deliver it with 'mailbroker serve').");
        command.Subcommands.Add(CreateAdd());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateShow());
        command.Subcommands.Add(CreateRetry());
        command.Subcommands.Add(CreatePurge());
        command.Subcommands.Add(DestinationsCommand.Create());
        return command;
    }

    /// <summary>Opens the queue named by a store string: "postgres:"/"postgresql:" is resolved here, everything else by <see cref="QueueStoreFactory"/>.</summary>
    /// <exception cref="UsageException">The store string names no known store.</exception>
    internal static MailQueue Open(string store, QueueOptions? options = null)
    {
        options ??= new QueueOptions();
        options.Store = store;
        options.StoreFactory ??= PostgreSqlQueueStore.FactoryFor(store);
        try
        {
            return new MailQueue(options);
        }
        catch (ArgumentException ex)
        {
            string reason = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new UsageException($"--store: {reason}");
        }
    }

    private static Command CreateAdd()
    {
        var store = StoreOption();
        var from = new Option<string>("--from") { Description = "The From address (also the envelope sender).", Required = true };
        var to = new Option<string[]>("--to") { Description = "A To recipient (repeatable).", AllowMultipleArgumentsPerToken = true };
        var cc = new Option<string[]>("--cc") { Description = "A Cc recipient (repeatable).", AllowMultipleArgumentsPerToken = true };
        var bcc = new Option<string[]>("--bcc") { Description = "A Bcc recipient (repeatable).", AllowMultipleArgumentsPerToken = true };
        var subject = new Option<string>("--subject") { Description = "The subject.", DefaultValueFactory = _ => "" };
        var text = new Option<string?>("--text") { Description = "The plain-text body." };
        var html = new Option<string?>("--html") { Description = "An HTML body (with --text: multipart/alternative)." };
        var attach = new Option<string[]>("--attach") { Description = "A file to attach (repeatable).", AllowMultipleArgumentsPerToken = true };
        var hostName = new Option<string>("--hostname") { Description = "Host name for the Message-ID.", DefaultValueFactory = _ => Environment.MachineName };
        var dkimDomain = new Option<string?>("--dkim-domain") { Description = "DKIM signing domain (d=); with --dkim-selector and --dkim-key." };
        var dkimSelector = new Option<string?>("--dkim-selector") { Description = "DKIM selector (s=)." };
        var dkimKey = new Option<string?>("--dkim-key") { Description = "DKIM private key, PKCS#8 PEM file (RSA or Ed25519)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var unsubscribe = new Option<bool>("--unsubscribe")
        {
            Description = "Give each recipient a one-click unsubscribe link (RFC 8058) served by 'mailbroker serve' (needs --config/--data); one copy per recipient.",
        };
        var server = new ServerOptions();
        server.Config.Description = "Queue as the server of this configuration would take it over its API: its store, DKIM keys, bounce domain and unsubscribe links (instead of --store and --dkim-*).";
        var command = new Command("add", "Compose a message, DKIM-sign it once and store it in the queue; prints its id (with copies per recipient, one id per line).")
        {
            store, from, to, cc, bcc, subject, text, html, attach, hostName, dkimDomain, dkimSelector, dkimKey, json, unsubscribe,
        };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            using var message = new MailMessage { Subject = parse.GetValue(subject) ?? "" };
            try
            {
                message.From = new MailAddress(parse.GetValue(from)!);
                foreach (var address in parse.GetValue(to) ?? []) { message.To.Add(address); }
                foreach (var address in parse.GetValue(cc) ?? []) { message.CC.Add(address); }
                foreach (var address in parse.GetValue(bcc) ?? []) { message.Bcc.Add(address); }
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"mailbroker queue add: invalid address: {ex.Message}");
                return 2;
            }
            if (message.To.Count + message.CC.Count + message.Bcc.Count == 0)
            {
                Console.Error.WriteLine("mailbroker queue add: give at least one --to, --cc or --bcc.");
                return 2;
            }
            string? plain = parse.GetValue(text);
            string? markup = parse.GetValue(html);
            if (markup is not null && plain is not null)
            {
                message.Body = plain;
                message.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(markup, Encoding.UTF8, "text/html"));
            }
            else if (markup is not null)
            {
                message.Body = markup;
                message.IsBodyHtml = true;
            }
            else
            {
                message.Body = plain ?? "";
            }
            foreach (var file in parse.GetValue(attach) ?? [])
            {
                if (!File.Exists(file))
                {
                    Console.Error.WriteLine($"mailbroker queue add: attachment not found: {file}");
                    return 2;
                }
                message.Attachments.Add(new Attachment(file));
            }
            if (parse.GetValue(unsubscribe) || parse.GetValue(server.Config) is not null || parse.GetValue(server.Data) is not null)
            {
                if (parse.GetValue(dkimKey) is not null)
                {
                    Console.Error.WriteLine("mailbroker queue add: with --config/--data the DKIM keys come from the configuration; leave out --dkim-key.");
                    return 2;
                }
                return await AddAsServerAsync(server.Load(parse), message, parse.GetValue(unsubscribe), parse.GetValue(json), ct);
            }
            var options = new QueueOptions { HostName = parse.GetValue(hostName)! };
            string? keyFile = parse.GetValue(dkimKey);
            if (keyFile is not null)
            {
                if (parse.GetValue(dkimDomain) is not { } domain || parse.GetValue(dkimSelector) is not { } selector)
                {
                    Console.Error.WriteLine("mailbroker queue add: --dkim-key needs --dkim-domain and --dkim-selector.");
                    return 2;
                }
                options.DkimSignatures.Add(DkimConfig.FromPem(domain, selector, await File.ReadAllTextAsync(keyFile, ct)));
            }
            await using var queue = Open(parse.GetValue(store)!, options);
            string id = await queue.EnqueueAsync(message, ct);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(new { id }, s_json) : id);
            return 0;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var store = StoreOption();
        var all = new Option<bool>("--all") { Description = "Include complete messages (every recipient delivered, bounced or expired)." };
        var limit = new Option<int>("--limit") { Description = "At most this many messages.", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print JSON lines, one message per line." };
        var command = new Command("list", "List queued messages, oldest first.") { store, all, limit, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            await using var queue = Open(parse.GetValue(store)!);
            var messages = await queue.ListAsync(!parse.GetValue(all), parse.GetValue(limit), ct);
            foreach (var message in messages)
            {
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(message, s_json));
                    continue;
                }
                var states = message.Recipients.GroupBy(r => r.State).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{message.Id}  {message.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {message.Size,8}  <{message.Sender}>  {string.Join(", ", states)}"));
            }
            Console.Error.WriteLine($"{messages.Count} message(s)");
            return 0;
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var store = StoreOption();
        var id = new Argument<string>("id") { Description = "The queue id." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("show", "Show a message and the state of each recipient.") { id, store, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            await using var queue = Open(parse.GetValue(store)!);
            var message = await queue.GetAsync(parse.GetValue(id)!, ct);
            if (message is null)
            {
                Console.Error.WriteLine($"mailbroker queue show: no message {parse.GetValue(id)}");
                return 1;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(message, s_json));
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{message.Id}  from <{message.Sender}>  {message.Size} bytes  created {message.CreatedAt:u}  expires {message.ExpiresAt:u}"));
            if (message.LeaseOwner is not null)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  held by {message.LeaseOwner} until {message.LeaseUntil:u}"));
            }
            foreach (var r in message.Recipients)
            {
                string next = r.NextAttemptAt is { } at ? string.Create(CultureInfo.InvariantCulture, $" next {at:u}") : "";
                Console.WriteLine($"  <{r.Address}>  {r.State.ToString().ToLowerInvariant()}  attempts {r.Attempts}{next}  {r.LastReply}");
            }
            return message.IsComplete && message.Recipients.All(r => r.State == RecipientState.Delivered) ? 0 : 1;
        }));
        return command;
    }

    private static Command CreateRetry()
    {
        var store = StoreOption();
        var id = new Argument<string>("id") { Description = "The queue id." };
        var command = new Command("retry", "Make every undelivered recipient of a message due now.") { id, store };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            await using var queue = Open(parse.GetValue(store)!);
            if (!await queue.RetryAsync(parse.GetValue(id)!, ct))
            {
                Console.Error.WriteLine($"mailbroker queue retry: no message {parse.GetValue(id)}");
                return 1;
            }
            Console.WriteLine(parse.GetValue(id));
            return 0;
        }));
        return command;
    }

    private static Command CreatePurge()
    {
        var store = StoreOption();
        var all = new Option<bool>("--all") { Description = "Also delete messages still pending (they will never be delivered)." };
        var command = new Command("purge", "Delete complete messages from the queue (with --all: every message).") { store, all };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            await using var queue = Open(parse.GetValue(store)!);
            int count = await queue.PurgeAsync(parse.GetValue(all), ct);
            Console.WriteLine(count.ToString(CultureInfo.InvariantCulture));
            return 0;
        }));
        return command;
    }
}
