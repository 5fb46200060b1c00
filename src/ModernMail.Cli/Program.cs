using System.CommandLine;
using System.CommandLine.Invocation;

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

        return await parse.InvokeAsync();
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
