using System;

namespace ModernMail.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("mailbroker: commands are not wired yet");
        return args.Length == 0 ? 2 : 2;
    }
}
