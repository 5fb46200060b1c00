using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModernMail.Smtp;

namespace ModernMail.Delivery.Internal;

/// <summary>The ordered bounce rules (first match wins), read from the JSON rules file embedded in the assembly.</summary>
/// <remarks>File format: <c>{ "rules": [ { "id", "stage", "code", "status", "text", "outcome", "why", "category",
/// "example", "source" } ] }</c>, comments allowed. Every field but id, category and example is optional; a missing
/// matcher matches anything. <c>stage</c> is a <see cref="SmtpStage"/> name or a list of them, <c>code</c> a reply code
/// prefix, <c>status</c> a <see cref="StatusPattern"/>, <c>text</c> a case-insensitive regular expression on the reply
/// text (or a failure's detail), <c>outcome</c> "transient" or "permanent" and then requires <c>why</c>.</remarks>
internal sealed class BounceRuleSet
{
    public const string ResourceName = "ModernMail.Delivery.bounce-rules.json";

    // The reply text is the server's: bound what a rule's pattern has to scan (reply lines are already capped by the parser).
    private const int MaxTextLength = 8 * 1024;

    private static readonly Lazy<BounceRuleSet> s_default = new(LoadEmbedded);

    private static readonly HashSet<string> s_fields = new(StringComparer.Ordinal)
    {
        "id", "stage", "code", "status", "text", "outcome", "why", "category", "example", "source",
    };

    public BounceRuleSet(IReadOnlyList<BounceRule> rules) => Rules = rules;

    /// <summary>The rules shipped in the assembly.</summary>
    public static BounceRuleSet Default => s_default.Value;

    public IReadOnlyList<BounceRule> Rules { get; }

    /// <summary>The first matching rule's decision; without one, the reply code (or the status class of a failure without a reply) decides and the category is <see cref="BounceCategory.Other"/>.</summary>
    public DeliveryClassification Classify(SmtpStage stage, int code, EnhancedStatusCode? status, string text)
    {
        if (text.Length > MaxTextLength)
        {
            text = text[..MaxTextLength];
        }
        foreach (var rule in Rules)
        {
            if (rule.Matches(stage, code, status, text))
            {
                return new DeliveryClassification(rule.Outcome ?? ByCode(code, status), rule.Category, rule.Id);
            }
        }
        return new DeliveryClassification(ByCode(code, status), BounceCategory.Other);
    }

    /// <summary>RFC 5321 §4.2.1: 4yz is transient, 5yz permanent; a failure without a reply goes by its status class.
    /// Anything else (no code, an odd class) is retried: the message lifetime bounds it.</summary>
    private static DeliveryOutcome ByCode(int code, EnhancedStatusCode? status)
    {
        int cls = code != 0 ? code / 100 : status?.Class ?? 4;
        return cls == 5 ? DeliveryOutcome.Permanent : DeliveryOutcome.Transient;
    }

    private static BounceRuleSet LoadEmbedded()
    {
        using var stream = typeof(BounceRuleSet).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the assembly.");
        return Parse(stream);
    }

    /// <summary>Reads a rules file.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a rule is malformed.</exception>
    public static BounceRuleSet Parse(Stream json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Bounce rules: {ex.Message}", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("rules", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("Bounce rules: the file must be an object with a \"rules\" array.");
            }
            var rules = new List<BounceRule>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            int index = 0;
            foreach (var element in array.EnumerateArray())
            {
                var rule = ParseRule(element, index++);
                if (!ids.Add(rule.Id))
                {
                    throw new InvalidDataException($"Bounce rules: the id \"{rule.Id}\" is used twice.");
                }
                rules.Add(rule);
            }
            return new BounceRuleSet(rules);
        }
    }

    private static BounceRule ParseRule(JsonElement element, int index)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Bounce rules: rule #{index} is not an object.");
        }
        string id = ReadString(element, "id") ?? throw new InvalidDataException($"Bounce rules: rule #{index} has no id.");
        InvalidDataException Bad(string what) => new($"Bounce rules: rule \"{id}\": {what}");
        foreach (var property in element.EnumerateObject())
        {
            if (!s_fields.Contains(property.Name))
            {
                throw Bad($"unknown field \"{property.Name}\".");
            }
        }

        var stages = new List<SmtpStage>();
        foreach (string name in Strings(element, "stage", id))
        {
            if (name is not [>= 'A' and <= 'Z', ..] || !Enum.TryParse(name, ignoreCase: false, out SmtpStage stage) || !Enum.IsDefined(stage))
            {
                throw Bad($"unknown stage \"{name}\".");
            }
            stages.Add(stage);
        }

        int prefix = 0;
        int digits = 0;
        if (ReadString(element, "code") is { } code)
        {
            if (code.Length is < 1 or > 3 || code[0] is not ('4' or '5') || !int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
            {
                throw Bad($"the code \"{code}\" is not a 4xx/5xx reply code prefix.");
            }
            digits = code.Length;
        }

        var status = new List<StatusPattern>();
        foreach (string statusText in Strings(element, "status", id))
        {
            if (!StatusPattern.TryParse(statusText, out var pattern))
            {
                throw Bad($"the status \"{statusText}\" is not an enhanced status code pattern (e.g. 5.1.1, x.2.2, 5.7).");
            }
            status.Add(pattern);
        }

        Regex? text = null;
        if (ReadString(element, "text") is { } textPattern)
        {
            try
            {
                // Linear-time matching: the text comes from servers we do not control.
                text = new Regex(textPattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // NotSupportedException: a construct (backreference, lookaround) that has no linear-time match.
                throw Bad($"the text pattern is not a valid regular expression: {ex.Message}");
            }
        }

        DeliveryOutcome? outcome = ReadString(element, "outcome") switch
        {
            null => null,
            "transient" => DeliveryOutcome.Transient,
            "permanent" => DeliveryOutcome.Permanent,
            var other => throw Bad($"the outcome \"{other}\" is neither \"transient\" nor \"permanent\"."),
        };
        string? why = ReadString(element, "why");
        if (outcome is not null && string.IsNullOrWhiteSpace(why))
        {
            throw Bad("a rule that overrides the outcome must say why.");
        }

        string categoryText = ReadString(element, "category") ?? throw Bad("no category.");
        // Names only: Enum.TryParse would also take "3".
        if (categoryText is not [>= 'A' and <= 'Z', ..] || !Enum.TryParse(categoryText, ignoreCase: false, out BounceCategory category) || !Enum.IsDefined(category) || category == BounceCategory.None)
        {
            throw Bad($"unknown category \"{categoryText}\".");
        }
        string example = ReadString(element, "example") ?? throw Bad("no example reply.");

        return new BounceRule
        {
            Id = id,
            Stages = stages,
            CodePrefix = prefix,
            CodeDigits = digits,
            Status = status,
            Text = text,
            Outcome = outcome,
            Category = category,
            Example = example,
            Why = why,
            Source = ReadString(element, "source"),
        };
    }

    /// <summary>A field that is one string or a list of strings.</summary>
    private static List<string> Strings(JsonElement element, string name, string id)
    {
        var values = new List<string>();
        if (!element.TryGetProperty(name, out var value))
        {
            return values;
        }
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                throw new InvalidDataException($"Bounce rules: rule \"{id}\": \"{name}\" must be a string or a list of strings.");
            }
            values.Add(text);
        }
        return values;
    }

    private static string? ReadString(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidDataException($"Bounce rules: the field \"{name}\" must be a string.");
    }
}
