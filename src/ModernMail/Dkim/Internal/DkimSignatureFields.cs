using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModernMail.Dkim.Internal;

/// <summary>A DKIM-Signature field parsed and checked against RFC 6376 §3.5 and §6.1.1.</summary>
internal sealed class DkimSignatureFields
{
    public required string Raw { get; init; }
    public required DkimKeyType KeyType { get; init; }
    public required string Algorithm { get; init; }
    public required DkimCanonicalization HeaderCanonicalization { get; init; }
    public required DkimCanonicalization BodyCanonicalization { get; init; }
    public required string Domain { get; init; }
    public required string Selector { get; init; }
    public required string Identity { get; init; }
    public required string[] SignedHeaders { get; init; }
    public required byte[] BodyHash { get; init; }
    public required byte[] Signature { get; init; }
    public long BodyLength { get; init; } = -1;
    public long? Expiration { get; init; }

    /// <summary>Parses a raw DKIM-Signature field; on failure returns a reason for permerror and whatever d=/s=/a= were readable.</summary>
    public static DkimSignatureFields? Parse(string raw, out string? error, out string? domain, out string? selector, out string? algorithm)
    {
        domain = null;
        selector = null;
        algorithm = null;
        int colon = raw.IndexOf(':', StringComparison.Ordinal);
        if (!DkimTagList.TryParse(raw[(colon + 1)..], out Dictionary<string, string>? tags, out error))
        {
            return null;
        }

        tags.TryGetValue("d", out domain);
        tags.TryGetValue("s", out selector);
        tags.TryGetValue("a", out algorithm);
        foreach (string required in (string[])["v", "a", "b", "bh", "d", "h", "s"])
        {
            if (!tags.ContainsKey(required))
            {
                error = $"missing required tag {required}=";
                return null;
            }
        }

        if (tags["v"] != "1")
        {
            error = $"unsupported version v={tags["v"]}";
            return null;
        }

        DkimKeyType keyType;
        switch (algorithm!.ToLowerInvariant()) // a= is present: checked above.
        {
            case "rsa-sha256":
                keyType = DkimKeyType.Rsa;
                break;
            case "ed25519-sha256":
                keyType = DkimKeyType.Ed25519;
                break;
            case "rsa-sha1":
                error = "rsa-sha1 signatures are no longer accepted (RFC 8301 §3.1)";
                return null;
            default:
                error = $"unknown algorithm a={algorithm}";
                return null;
        }

        DkimCanonicalization header = DkimCanonicalization.Simple;
        DkimCanonicalization body = DkimCanonicalization.Simple;
        if (tags.TryGetValue("c", out string? c))
        {
            string[] parts = c.Split('/');
            if (parts.Length > 2 || !TryCanonicalization(parts[0], out header) ||
                (parts.Length == 2 && !TryCanonicalization(parts[1], out body)))
            {
                error = $"unknown canonicalization c={c}";
                return null;
            }
        }

        if (!DkimNames.IsValid(domain!) || !DkimNames.IsValid(selector!)) // d= and s= are present: checked above.
        {
            error = "d= or s= is not a valid domain name";
            return null;
        }

        string[] signed = DkimTagList.RemoveWhitespace(tags["h"]).Split(':');
        bool hasFrom = false;
        foreach (string name in signed)
        {
            if (name.Length == 0)
            {
                error = "empty header name in h=";
                return null;
            }

            hasFrom |= name.Equals("from", StringComparison.OrdinalIgnoreCase);
        }

        if (!hasFrom)
        {
            error = "h= does not include From (RFC 6376 §5.4)";
            return null;
        }

        string identity = tags.TryGetValue("i", out string? i) ? i : "@" + domain;
        int at = identity.LastIndexOf('@');
        if (at < 0 || !DkimNames.IsSameOrSubdomain(identity[(at + 1)..], domain!))
        {
            error = $"i={identity} is not in d={domain} or a subdomain of it";
            return null;
        }

        if (tags.TryGetValue("q", out string? q) && !q.Split(':').AsSpan().Contains("dns/txt"))
        {
            error = $"unsupported query method q={q}";
            return null;
        }

        long length = -1;
        if (tags.TryGetValue("l", out string? l) && !long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out length))
        {
            error = $"invalid body length l={l}";
            return null;
        }

        long? timestamp = null;
        if (tags.TryGetValue("t", out string? t))
        {
            if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                error = $"invalid timestamp t={t}";
                return null;
            }

            timestamp = value;
        }

        long? expiration = null;
        if (tags.TryGetValue("x", out string? x))
        {
            if (!long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                error = $"invalid expiration x={x}";
                return null;
            }

            if (timestamp is { } ts && value < ts)
            {
                error = "x= is before t=";
                return null;
            }

            expiration = value;
        }

        byte[] bodyHash;
        byte[] signature;
        try
        {
            bodyHash = Convert.FromBase64String(DkimTagList.RemoveWhitespace(tags["bh"]));
            signature = Convert.FromBase64String(DkimTagList.RemoveWhitespace(tags["b"]));
        }
        catch (FormatException)
        {
            error = "b= or bh= is not valid base64";
            return null;
        }

        return new DkimSignatureFields
        {
            Raw = raw,
            KeyType = keyType,
            Algorithm = algorithm.ToLowerInvariant(),
            HeaderCanonicalization = header,
            BodyCanonicalization = body,
            Domain = domain!,
            Selector = selector!,
            Identity = identity,
            SignedHeaders = signed,
            BodyHash = bodyHash,
            Signature = signature,
            BodyLength = length,
            Expiration = expiration,
        };
    }

    private static bool TryCanonicalization(string text, out DkimCanonicalization canonicalization)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "simple":
                canonicalization = DkimCanonicalization.Simple;
                return true;
            case "relaxed":
                canonicalization = DkimCanonicalization.Relaxed;
                return true;
            default:
                canonicalization = default;
                return false;
        }
    }
}
