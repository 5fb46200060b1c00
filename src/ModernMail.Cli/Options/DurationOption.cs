using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ModernMail.Cli.Options;

/// <summary>The one parser for duration options (300s, 5m, 2h, 5d, 250ms or hh:mm:ss).</summary>
internal static class DurationOption
{
    /// <summary>A duration option with a default.</summary>
    public static Option<TimeSpan> Create(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = description + " Like 300s, 5m, 2h, 5d or 00:05:00.",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = Parse,
    };

    /// <summary>A duration option that may be absent (null).</summary>
    public static Option<TimeSpan?> CreateOptional(string name, string description) => new(name)
    {
        Description = description + " Like 30s, 2m or 00:00:30.",
        CustomParser = result => Parse(result),
        HelpName = "DURATION",
    };

    private static TimeSpan Parse(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) && double.TryParse(text[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0)
        {
            switch (char.ToLowerInvariant(text[^1]))
            {
                case 's': return TimeSpan.FromSeconds(value);
                case 'm': return TimeSpan.FromMinutes(value);
                case 'h': return TimeSpan.FromHours(value);
                case 'd': return TimeSpan.FromDays(value);
            }
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }
        result.AddError($"'{text}' is not a duration (use 300s, 5m, 2h, 5d or hh:mm:ss).");
        return TimeSpan.Zero;
    }
}
