using System.CommandLine;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue;

namespace ModernMail.Cli.Commands;

/// <summary>The boundary around every command action: maps invalid input to exit 2, a store failure to 3, cancellation
/// to 130, a temporary failure (DNS could not answer) to 1 with "try again later", and reports anything unexpected in
/// one line (the stack trace only with MAILBROKER_DEBUG=1).</summary>
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
        catch (DkimKeyLookupException ex)
        {
            // Not a DkimException on purpose: a DNS timeout says nothing about the user's input.
            error.WriteLine($"mailbroker: temporary failure, try again later: {ex.Message}");
            return ExitCodes.NotDelivered;
        }
        catch (Exception ex) when (ex is MailMessageFormatException or DkimException or ModernMail.Server.Configuration.ServerConfigurationException)
        {
            error.WriteLine($"mailbroker: invalid input: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (QueueStoreException ex)
        {
            error.WriteLine($"mailbroker: {ex.Message}");
            return ExitCodes.StoreFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("mailbroker: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // The one place that catches everything: say what happened; the stack is for a bug report, on request.
            bool debug = Environment.GetEnvironmentVariable("MAILBROKER_DEBUG") is "1" or "true";
            error.WriteLine(debug ? $"mailbroker: failed: {ex}" : $"mailbroker: failed: {ex.GetType().Name}: {ex.Message} (set MAILBROKER_DEBUG=1 for details)");
            return ExitCodes.NotDelivered;
        }
    }
}
