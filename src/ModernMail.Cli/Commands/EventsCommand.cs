using System.CommandLine;
using System.Globalization;
using System.Text;
using ModernMail.Cli.Options;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Server.Events;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker events</c>: the queue's event stream (what GET /v1/events serves), oldest first, from a cursor.</summary>
internal static class EventsCommand
{
    /// <summary>The most events the store reads at once.</summary>
    private const int PageSize = 1000;

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var server = new ServerOptions();
        var since = new Option<string?>("--since") { Description = "Only events after this cursor (the last line's cursor, or a previous run's).", HelpName = "CURSOR" };
        var type = new Option<string?>("--type") { Description = "Only this type: queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained." };
        var message = new Option<string?>("--message") { Description = "Only the events of this message id.", HelpName = "ID" };
        var limit = new Option<int>("--limit") { Description = "At most this many events (without --follow).", DefaultValueFactory = _ => 100 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they are committed, until Ctrl-C." };
        var json = new Option<bool>("--json") { Description = "Print JSON lines, the same objects as GET /v1/events and webhooks." };
        var command = new Command("events", "Print delivery events from the server's queue (its --config/--data store).") { since, type, message, limit, follow, json };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            QueueEventType? eventType = null;
            if (parse.GetValue(type) is { } typeText && (eventType = EventJson.ParseType(typeText)) is null)
            {
                throw new UsageException($"--type: \"{typeText}\" is not an event type (queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained).");
            }
            int max = parse.GetValue(limit);
            if (max < 1)
            {
                throw new UsageException("--limit must be at least 1.");
            }
            var settings = server.Load(parse);
            await using var queue = QueueCommand.Open(settings.EffectiveStore);
            await queue.EnsureInitializedAsync(ct);
            string? cursor = parse.GetValue(since);
            int printed = 0;
            while (true)
            {
                IReadOnlyList<QueueEvent> page;
                try
                {
                    page = await queue.Store.ReadEventsAsync(new EventQuery
                    {
                        After = cursor,
                        Type = eventType,
                        MessageId = parse.GetValue(message),
                        Limit = Math.Min(parse.GetValue(follow) ? PageSize : max - printed, PageSize),
                    }, ct);
                }
                catch (ArgumentException)
                {
                    throw new UsageException($"--since: \"{cursor}\" is not an event cursor.");
                }
                foreach (var e in page)
                {
                    output.WriteLine(parse.GetValue(json) ? Encoding.UTF8.GetString(EventJson.ToUtf8(e)) : Line(e));
                    cursor = e.Cursor;
                }
                printed += page.Count;
                if (parse.GetValue(follow))
                {
                    if (page.Count == 0)
                    {
                        await Task.Delay(s_pollInterval, ct);
                    }
                    continue;
                }
                if (page.Count == 0 || printed >= max)
                {
                    break;
                }
            }
            error.WriteLine(cursor is null ? $"{printed} event(s)" : $"{printed} event(s); continue with --since {cursor}");
            return 0;
        }));
        return command;
    }

    private static string Line(QueueEvent e)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {EventJson.TypeName(e.Type),-12}  {e.MessageId}  {e.Recipient}");
        if (e.Category != BounceCategory.None)
        {
            line.Append("  ").Append(e.Category);
        }
        if (e.Reply is { } reply)
        {
            line.Append("  ").Append(reply);
        }
        return line.ToString();
    }
}
