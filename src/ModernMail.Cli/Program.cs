using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;

namespace ModernMail.Cli;

/// <summary>The <c>mailbroker</c> entry point.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        RootCommand root = MailbrokerCommand.Create();
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // System.CommandLine exits 1 on a parse error; ours is a usage error: 2, and nothing was sent.
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"mailbroker: {error.Message}");
            }

            Console.Error.WriteLine($"Run '{Usage(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        // One CancellationTokenSource for the whole run: the first Ctrl+C (SIGINT) or SIGTERM cancels it and the
        // command winds down (exit 130); a second signal terminates the process the default way.
        using var cancel = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Cancel(context, cancel));
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Cancel(context, cancel));
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation, cancel.Token);
    }

    private static void Cancel(PosixSignalContext context, CancellationTokenSource cancel)
    {
        if (cancel.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        Console.Error.WriteLine($"mailbroker: {context.Signal} received, cancelling (send it again to exit at once)...");
        cancel.Cancel();
    }

    private static string Usage(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "mailbroker" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
