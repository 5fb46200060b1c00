using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModernMail.Cli.Options;
using ModernMail.Queue;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker suppressions list|add|remove</c>: the addresses the server's queue will not send to.</summary>
internal static class SuppressionsCommand
{
    private const string ScopeHelp = "A sender domain's list, or * for every sender.";

    public static Command Create()
    {
        var command = new Command("suppressions", "Manage the suppression list of the server's queue (its --config/--data store): bounced, unsubscribed, complained and manually added addresses.");
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateAdd());
        command.Subcommands.Add(CreateRemove());
        return command;
    }

    private static Command CreateList()
    {
        var server = new ServerOptions();
        var address = new Option<string?>("--address") { Description = "Only this address." };
        var scope = new Option<string?>("--scope") { Description = ScopeHelp + " Default: every list." };
        var json = new Option<bool>("--json") { Description = "Print JSON lines, one entry per line." };
        var command = new Command("list", "List suppressed addresses in (address, scope) order.") { address, scope, json };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            var settings = server.Load(parse);
            await using var queue = QueueCommand.Open(settings.EffectiveStore);
            await queue.EnsureInitializedAsync(ct);
            int count = 0;
            string? after = null;
            while (true)
            {
                var page = await queue.Store.ListSuppressionsAsync(new SuppressionQuery
                {
                    Address = parse.GetValue(address),
                    Scope = parse.GetValue(scope),
                    After = after,
                    Limit = 1000,
                }, ct);
                foreach (var s in page)
                {
                    output.WriteLine(parse.GetValue(json)
                        ? JsonSerializer.Serialize(new { address = s.Address, scope = s.Scope, reason = JsonNamingPolicy.CamelCase.ConvertName(s.Reason.ToString()), createdAt = s.CreatedAt, messageId = s.MessageId, detail = s.Detail })
                        : string.Create(CultureInfo.InvariantCulture, $"{s.Address}  {s.Scope}  {s.Reason}  {s.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}Z  {s.MessageId}  {s.Detail}").TrimEnd());
                }
                count += page.Count;
                if (page.Count < 1000)
                {
                    break;
                }
                after = page[^1].Address + " " + page[^1].Scope;
            }
            error.WriteLine($"{count} suppression(s)");
            return 0;
        }));
        return command;
    }

    private static Command CreateAdd()
    {
        var server = new ServerOptions();
        var address = new Argument<string>("address") { Description = "The address to stop sending to." };
        var scope = new Option<string>("--scope") { Description = ScopeHelp, DefaultValueFactory = _ => Suppression.GlobalScope };
        var reason = new Option<SuppressionReason>("--reason") { Description = "Why (HardBounce, Unsubscribe, Complaint, Manual).", DefaultValueFactory = _ => SuppressionReason.Manual };
        var detail = new Option<string?>("--detail") { Description = "A note kept with the entry." };
        var command = new Command("add", "Suppress an address: queued and future mail to it is not attempted.") { address, scope, reason, detail };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, _) =>
        {
            string parsed = Address(parse.GetValue(address)!);
            var settings = server.Load(parse);
            await using var queue = QueueCommand.Open(settings.EffectiveStore);
            await queue.EnsureInitializedAsync(ct);
            await queue.Store.AddSuppressionAsync(new Suppression(parsed, parse.GetValue(scope)!, parse.GetValue(reason), DateTimeOffset.UtcNow) { Detail = parse.GetValue(detail) }, ct);
            output.WriteLine($"{parsed}  {parse.GetValue(scope)}");
            return 0;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var server = new ServerOptions();
        var address = new Argument<string>("address") { Description = "The address to mail again." };
        var scope = new Option<string>("--scope") { Description = ScopeHelp, DefaultValueFactory = _ => Suppression.GlobalScope };
        var command = new Command("remove", "Remove an address from one list.") { address, scope };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            string parsed = Address(parse.GetValue(address)!);
            var settings = server.Load(parse);
            await using var queue = QueueCommand.Open(settings.EffectiveStore);
            await queue.EnsureInitializedAsync(ct);
            if (!await queue.Store.RemoveSuppressionAsync(parsed, parse.GetValue(scope)!, ct))
            {
                error.WriteLine($"mailbroker suppressions remove: {parsed} is not on the list {parse.GetValue(scope)}.");
                return 1;
            }
            output.WriteLine(parsed);
            return 0;
        }));
        return command;
    }

    private static string Address(string text)
    {
        try
        {
            return new System.Net.Mail.MailAddress(text).Address;
        }
        catch (FormatException ex)
        {
            throw new UsageException($"\"{text}\" is not an e-mail address: {ex.Message}", ex);
        }
    }
}
