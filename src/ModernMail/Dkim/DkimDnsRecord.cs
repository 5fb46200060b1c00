using System;
using System.Collections.Generic;
using System.Text;
using ModernMail.Dkim.Internal;

namespace ModernMail.Dkim;

/// <summary>The DNS TXT record that publishes a DKIM public key at selector._domainkey.domain (RFC 6376 §3.6.2).</summary>
public sealed class DkimDnsRecord
{
    /// <summary>The longest character-string a TXT record holds (RFC 1035 §3.3).</summary>
    public const int MaxStringLength = 255;

    private DkimDnsRecord(string name, string value, IReadOnlyList<string> strings)
    {
        Name = name;
        Value = value;
        Strings = strings;
    }

    /// <summary>The owner name, "selector._domainkey.domain", without a trailing dot.</summary>
    public string Name { get; }

    /// <summary>The whole record text, "v=DKIM1; k=...; p=...".</summary>
    public string Value { get; }

    /// <summary>The record text split into character-strings of at most 255 characters, as the TXT record must hold it.</summary>
    public IReadOnlyList<string> Strings { get; }

    /// <summary>Builds the record for a public key as DKIM publishes it (SubjectPublicKeyInfo for RSA, raw 32 bytes for Ed25519).</summary>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public static DkimDnsRecord Create(string domain, string selector, DkimKeyType keyType, ReadOnlySpan<byte> publicKey)
    {
        domain = DkimNames.Validate(domain, "domain");
        selector = DkimNames.Validate(selector, "selector");
        string value = $"v=DKIM1; k={(keyType == DkimKeyType.Rsa ? "rsa" : "ed25519")}; p={Convert.ToBase64String(publicKey)}";
        var strings = new List<string>();
        for (int i = 0; i < value.Length; i += MaxStringLength)
        {
            strings.Add(value.Substring(i, Math.Min(MaxStringLength, value.Length - i)));
        }

        return new DkimDnsRecord($"{selector}._domainkey.{domain}", value, strings);
    }

    /// <summary>The record as a zone-file line: <c>name. IN TXT ( "..." "..." )</c>.</summary>
    public string ToZoneFileString()
    {
        var builder = new StringBuilder();
        builder.Append(Name).Append(". IN TXT ");
        if (Strings.Count == 1)
        {
            builder.Append('"').Append(Strings[0]).Append('"');
        }
        else
        {
            builder.Append('(');
            foreach (string s in Strings)
            {
                builder.Append("\n    \"").Append(s).Append('"');
            }

            builder.Append(" )");
        }

        return builder.ToString();
    }

    /// <summary>Same as <see cref="ToZoneFileString"/>.</summary>
    public override string ToString() => ToZoneFileString();
}
