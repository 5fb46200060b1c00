using System.Diagnostics.CodeAnalysis;

namespace ModernMail.Deliverability.Internal;

/// <summary>Parses the "tag=value; tag=value" lists of DKIM key records and DMARC records (RFC 6376 §3.2).</summary>
internal static class TagList
{
    // tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
    // tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
    // tag-name  =  ALPHA *ALNUMPUNC
    public static bool TryParse(string text, [NotNullWhen(true)] out List<KeyValuePair<string, string>>? tags, [NotNullWhen(false)] out string? error)
    {
        tags = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in text.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(spec))
            {
                continue;
            }

            var equals = spec.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                error = $"\"{spec.Trim()}\" is not tag=value";
                tags = null;
                return false;
            }

            var name = spec[..equals].Trim();
            if (name.Length == 0 || !char.IsAsciiLetter(name[0]) || name.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
            {
                error = $"\"{name}\" is not a valid tag name";
                tags = null;
                return false;
            }

            if (!seen.Add(name))
            {
                error = $"tag \"{name}\" appears twice";
                tags = null;
                return false;
            }

            tags.Add(new(name, spec[(equals + 1)..].Trim()));
        }

        error = null;
        return true;
    }

    public static string? Get(List<KeyValuePair<string, string>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key.Equals(name, StringComparison.Ordinal))
            {
                return tag.Value;
            }
        }

        return null;
    }
}
