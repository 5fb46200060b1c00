using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using ModernMail.Dkim.Internal;

namespace ModernMail.Dkim;

/// <summary>A parsed DKIM key record, the TXT record at selector._domainkey.domain (RFC 6376 §3.6.1).</summary>
/// <remarks>
/// The one key-record parser: the verifier and the deliverability doctor both read records through it, so they cannot
/// disagree about a record. Decisions:
/// <list type="bullet">
/// <item>v= is optional; when present it MUST be the first tag and exactly "DKIM1" (§3.6.1; the ABNF spells it
/// in hex, so it is case-sensitive). <c>vx=1; v=DKIM1</c> is invalid.</item>
/// <item>k=, h=, s= and t= values are compared case-insensitively: their ABNF values are quoted strings
/// ("rsa", "sha256", "email", "y"), which RFC 5234 §2.3 makes case-insensitive, the same reading as a= in the
/// signature. dkimpy compares k= case-sensitively, so the doctor warns about <c>k=ED25519</c>.</item>
/// <item>Unknown tags are ignored; an unknown k= is kept (<see cref="IsKnownKeyType"/> is false) and fails verification.</item>
/// <item>Tag-list syntax (empty tag-specs, case-sensitive names, duplicates) is <c>DkimTagList</c>'s.</item>
/// </list>
/// </remarks>
public sealed class DkimPublicKeyRecord
{
    private static readonly string[] s_any = ["*"];

    private DkimPublicKeyRecord(string? version, string keyType, byte[] publicKey, IReadOnlyList<string> hashAlgorithms,
        IReadOnlyList<string> serviceTypes, IReadOnlyList<string> flags, string? notes, IReadOnlyList<string> portabilityWarnings)
    {
        PortabilityWarnings = portabilityWarnings;
        Version = version;
        KeyType = keyType;
        PublicKey = publicKey;
        HashAlgorithms = hashAlgorithms;
        ServiceTypes = serviceTypes;
        Flags = flags;
        Notes = notes;
    }

    /// <summary>The v= tag ("DKIM1"), or null when absent.</summary>
    public string? Version { get; }

    /// <summary>The k= tag: "rsa" (the default) or "ed25519"; other values are kept as written.</summary>
    public string KeyType { get; }

    /// <summary>The decoded p= value; empty when the key has been revoked.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Whether p= is empty, meaning the key was revoked.</summary>
    public bool IsRevoked => PublicKey.Length == 0;

    /// <summary>The h= hash algorithms the key may be used with; empty means any.</summary>
    public IReadOnlyList<string> HashAlgorithms { get; }

    /// <summary>The s= service types; "*" (the default) or "email".</summary>
    public IReadOnlyList<string> ServiceTypes { get; }

    /// <summary>The t= flags, for example "y" (testing) and "s" (no subdomains in i=).</summary>
    public IReadOnlyList<string> Flags { get; }

    /// <summary>The n= notes, or null.</summary>
    public string? Notes { get; }

    /// <summary>What this parser accepted that stricter verifiers (dkimpy) reject: the doctor reports each as a warning.</summary>
    internal IReadOnlyList<string> PortabilityWarnings { get; }

    /// <summary>Whether t=y marks the domain as testing DKIM.</summary>
    public bool IsTesting => Contains(Flags, "y");

    /// <summary>Whether t=s forbids i= in a subdomain of d=.</summary>
    public bool IsStrict => Contains(Flags, "s");

    /// <summary>Whether the key is of a type this library knows ("rsa" or "ed25519").</summary>
    public bool IsKnownKeyType => KeyType is "rsa" or "ed25519";

    /// <summary>The key size in bits (the RSA modulus, 256 for Ed25519), or 0 when revoked, unknown or unreadable.</summary>
    public int KeySize
    {
        get
        {
            if (IsRevoked)
            {
                return 0;
            }

            if (KeyType == "ed25519")
            {
                return PublicKey.Length == 32 ? 256 : 0;
            }

            if (KeyType != "rsa")
            {
                return 0;
            }

            using RSA? rsa = TryImportRsa(PublicKey);
            return rsa?.KeySize ?? 0;
        }
    }

    /// <summary>Parses the record text (the TXT strings already concatenated).</summary>
    /// <exception cref="DkimKeyException">The record is malformed; the message names the problem.</exception>
    public static DkimPublicKeyRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out DkimPublicKeyRecord? record, out string? error)
            ? record
            : throw new DkimKeyException($"Invalid DKIM key record: {error}.");
    }

    /// <summary>Parses the record text, reporting what is wrong instead of throwing.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out DkimPublicKeyRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        if (text is null)
        {
            error = "no record";
            return false;
        }

        if (!DkimTagList.TryParse(text, out Dictionary<string, string>? tags, out DkimTagList.TagListLayout layout, out error))
        {
            return false;
        }

        // v= is optional, but when present it must be first and exactly "DKIM1" (§3.6.1).
        tags.TryGetValue("v", out string? version);
        if (version is not null)
        {
            if (version != "DKIM1")
            {
                error = $"v={version}, expected v=DKIM1";
                return false;
            }

            if (layout.FirstTag != "v")
            {
                error = $"v= must be the first tag, but the record starts with {layout.FirstTag}=";
                return false;
            }
        }

        if (!tags.TryGetValue("p", out string? p))
        {
            error = "missing p= (public key)";
            return false;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(DkimTagList.RemoveWhitespace(p));
        }
        catch (FormatException)
        {
            error = "p= is not valid base64";
            return false;
        }

        string keyType = tags.TryGetValue("k", out string? k) ? k.ToLowerInvariant() : "rsa";
        if (keyType == "ed25519" && key.Length is not (0 or 32))
        {
            error = $"an ed25519 p= must be the raw 32-byte key (RFC 8463 §4.2), got {key.Length} bytes";
            return false;
        }

        if (keyType == "rsa" && key.Length > 0)
        {
            using RSA? rsa = TryImportRsa(key);
            if (rsa is null)
            {
                error = "p= is not an RSA public key (SubjectPublicKeyInfo)";
                return false;
            }
        }

        var warnings = new List<string>();
        if (layout.HasEmptyTagSpecs)
        {
            warnings.Add("the record has an empty tag (\";;\" or a leading \";\"), which RFC 6376 §3.2 does not allow; strict verifiers such as dkimpy reject the record");
        }

        if (k is not null && k != keyType)
        {
            warnings.Add($"k={k} is read as k={keyType} here, but strict verifiers such as dkimpy compare it case-sensitively; write k={keyType}");
        }

        record = new DkimPublicKeyRecord(version, keyType, key, List(tags, "h", []), List(tags, "s", s_any), List(tags, "t", []),
            tags.TryGetValue("n", out string? n) ? n : null, warnings);
        error = null;
        return true;
    }

    /// <summary>What two keys are compared by: the RSA modulus without leading zeros, or the raw Ed25519 key; empty when revoked or unreadable.</summary>
    internal byte[] GetKeyMaterial()
    {
        if (IsRevoked || KeyType != "rsa")
        {
            return KeyType == "ed25519" ? PublicKey : [];
        }

        using RSA? rsa = TryImportRsa(PublicKey);
        return rsa is null ? [] : TrimLeadingZeros(rsa.ExportParameters(includePrivateParameters: false).Modulus ?? []);
    }

    internal static byte[] TrimLeadingZeros(byte[] value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return i == 0 ? value : value[i..];
    }

    internal static RSA? TryImportRsa(byte[] key)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(key, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
        }

        try
        {
            // Some records carry a bare PKCS#1 RSAPublicKey; verifiers accept it.
            rsa.ImportRSAPublicKey(key, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            return null;
        }
    }

    private static string[] List(Dictionary<string, string> tags, string name, string[] fallback)
    {
        if (!tags.TryGetValue(name, out string? value))
        {
            return fallback;
        }

        string[] parts = value.Split(':', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = parts[i].ToLowerInvariant();
        }

        return parts;
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (item == value)
            {
                return true;
            }
        }

        return false;
    }
}
