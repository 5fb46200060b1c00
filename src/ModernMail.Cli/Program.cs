using System;
using System.CommandLine;
using ModernMail.Cli.Commands;

namespace ModernMail.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("mailbroker: send e-mail straight to recipients' mail exchangers.");
        root.Subcommands.Add(QueueCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        // serve needs time after SIGTERM/Ctrl+C to finish or release in-flight deliveries (its --grace); the default is 2 s.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
    }
}
