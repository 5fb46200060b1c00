namespace ModernMail.Cli;

/// <summary>The documented exit codes of <c>mailbroker</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Every recipient was delivered (or the command did what it was asked).</summary>
    public const int Success = 0;

    /// <summary>Some recipients were not delivered, or the demo did not verify.</summary>
    public const int NotDelivered = 1;

    /// <summary><c>doctor</c>: at least one check failed.</summary>
    public const int ChecksFailed = 1;

    /// <summary>Usage or invalid input: unknown option, malformed address, unreadable file, bad key. Nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>The queue store cannot be opened or used: bad path or permissions, a corrupt or locked database, an unreachable server.</summary>
    public const int StoreFailed = 3;

    /// <summary>Cancelled with Ctrl+C or SIGTERM (128 + SIGINT, the shell convention).</summary>
    public const int Cancelled = 130;
}
