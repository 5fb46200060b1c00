namespace ModernMail.Dkim;

/// <summary>The verdict on one DKIM-Signature field.</summary>
public sealed class DkimVerificationResult
{
    internal DkimVerificationResult(DkimSignatureStatus status, string reason, string? domain, string? selector, string? algorithm, string? identity)
    {
        Status = status;
        Reason = reason;
        Domain = domain;
        Selector = selector;
        Algorithm = algorithm;
        Identity = identity;
    }

    /// <summary>Pass, fail, temperror, permerror, or none when the message has no signature.</summary>
    public DkimSignatureStatus Status { get; }

    /// <summary>Why the signature did not pass (empty on pass), e.g. "body hash did not verify".</summary>
    public string Reason { get; }

    /// <summary>The signing domain (d=), when the signature had one.</summary>
    public string? Domain { get; }

    /// <summary>The selector (s=), when the signature had one.</summary>
    public string? Selector { get; }

    /// <summary>The algorithm (a=), when the signature had one.</summary>
    public string? Algorithm { get; }

    /// <summary>The agent or user identifier (i=), defaulting to "@" + d=.</summary>
    public string? Identity { get; }

    /// <summary>An Authentication-Results style summary, e.g. "dkim=pass header.d=example.com header.s=sel".</summary>
    public override string ToString()
    {
        string status = Status switch
        {
            DkimSignatureStatus.Pass => "pass",
            DkimSignatureStatus.Fail => "fail",
            DkimSignatureStatus.TempError => "temperror",
            DkimSignatureStatus.PermError => "permerror",
            _ => "none",
        };
        string text = $"dkim={status}";
        if (Domain is not null)
        {
            text += $" header.d={Domain}";
        }

        if (Selector is not null)
        {
            text += $" header.s={Selector}";
        }

        if (Algorithm is not null)
        {
            text += $" header.a={Algorithm}";
        }

        return Reason.Length == 0 ? text : $"{text} ({Reason})";
    }
}
