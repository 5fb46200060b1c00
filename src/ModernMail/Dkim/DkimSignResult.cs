using System.Collections.Generic;

namespace ModernMail.Dkim;

/// <summary>A DKIM signature and what the signer noticed while making it.</summary>
public sealed class DkimSignResult
{
    internal DkimSignResult(string header, IReadOnlyList<string> warnings)
    {
        Header = header;
        Warnings = warnings;
    }

    /// <summary>The complete folded "DKIM-Signature: ...\r\n" field to prepend to the message.</summary>
    public string Header { get; }

    /// <summary>Problems that do not stop signing but will hurt delivery, for example a From domain outside d=.</summary>
    public IReadOnlyList<string> Warnings { get; }
}
