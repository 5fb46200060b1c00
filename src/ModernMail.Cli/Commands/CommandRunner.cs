using System.CommandLine;
using ModernMail.Dkim;
using ModernMail.Mime;

namespace ModernMail.Cli.Commands;

/// <summary>The boundary around every command action: maps invalid input to exit 2, cancellation to 130, and logs anything unexpected.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<TextWriter, TextWriter, Task<int>> action)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        try
        {
            return await action(output, error);
        }
        catch (UsageException ex)
        {
            error.WriteLine($"mailbroker: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is MailMessageFormatException or DkimException)
        {
            error.WriteLine($"mailbroker: invalid input: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("mailbroker: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // The one place that catches everything: say what happened, with the stack for a bug report.
            error.WriteLine($"mailbroker: failed: {ex}");
            return ExitCodes.NotDelivered;
        }
    }
}
