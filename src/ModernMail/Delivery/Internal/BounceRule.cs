using System.Globalization;
using System.Text.RegularExpressions;
using ModernMail.Smtp;

namespace ModernMail.Delivery.Internal;

/// <summary>One rule of the bounce rules file: what it matches and what it decides.</summary>
internal sealed class BounceRule
{
    public required string Id { get; init; }

    /// <summary>The stages the rule applies to; empty for any.</summary>
    public required IReadOnlyList<SmtpStage> Stages { get; init; }

    /// <summary>A reply code prefix ("552", "55", "4") and its digit count; 0 digits for any (and for failures without a reply).</summary>
    public int CodePrefix { get; init; }

    public int CodeDigits { get; init; }

    /// <summary>Enhanced status code patterns, any of which must match; empty for any (and for replies without one).</summary>
    public required IReadOnlyList<StatusPattern> Status { get; init; }

    public Regex? Text { get; init; }

    /// <summary>The outcome the rule imposes; null to follow the reply code (or the failure's status class).</summary>
    public DeliveryOutcome? Outcome { get; init; }

    public required BounceCategory Category { get; init; }

    /// <summary>A real reply line (or, for failures without a reply, "status text") that this rule decides.</summary>
    public required string Example { get; init; }

    public string? Why { get; init; }

    public string? Source { get; init; }

    public bool Matches(SmtpStage stage, int code, EnhancedStatusCode? status, string text)
    {
        if (Stages.Count > 0 && !Stages.Contains(stage))
        {
            return false;
        }
        if (CodeDigits > 0 && (code == 0 || code / Pow10(3 - CodeDigits) != CodePrefix))
        {
            return false;
        }
        if (Status.Count > 0 && (status is not { } actual || !MatchesAny(actual)))
        {
            return false;
        }
        return Text is null || Text.IsMatch(text);
    }

    private bool MatchesAny(EnhancedStatusCode status)
    {
        foreach (var pattern in Status)
        {
            if (pattern.Matches(status))
            {
                return true;
            }
        }
        return false;
    }

    private static int Pow10(int n) => n switch { 0 => 1, 1 => 10, _ => 100 };
}

/// <summary>An enhanced status code pattern: "5.1.1", "x.2.2" (any class), "5.7" (any detail), "4" (any 4.x.x).</summary>
internal readonly record struct StatusPattern(int? Class, int? Subject, int? Detail)
{
    public bool Matches(EnhancedStatusCode code)
        => (Class is null || Class == code.Class) && (Subject is null || Subject == code.Subject) && (Detail is null || Detail == code.Detail);

    public static bool TryParse(string text, out StatusPattern pattern)
    {
        pattern = default;
        string[] parts = text.Split('.');
        if (parts.Length is < 1 or > 3)
        {
            return false;
        }
        var values = new int?[3];
        for (int i = 0; i < parts.Length; i++)
        {
            if (i == 0 && parts[0] is "x" or "X")
            {
                continue;
            }
            if (parts[i].Length is < 1 or > 3 || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            {
                return false;
            }
            values[i] = value;
        }
        if (values[0] is { } cls && cls is not (2 or 4 or 5))
        {
            return false;
        }
        pattern = new StatusPattern(values[0], values[1], values[2]);
        return true;
    }
}
