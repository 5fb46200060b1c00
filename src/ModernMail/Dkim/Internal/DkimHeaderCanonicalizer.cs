using System;
using System.Buffers;
using System.Collections.Generic;
using System.Security.Cryptography;

namespace ModernMail.Dkim.Internal;

/// <summary>Header canonicalization (RFC 6376 §3.4.1, §3.4.2) and the header half of the signed data (§3.7).</summary>
internal static class DkimHeaderCanonicalizer
{
    /// <summary>The most bytes <see cref="Canonicalize"/> writes for a raw field of <paramref name="rawLength"/> bytes.</summary>
    public static int GetMaxLength(int rawLength) => rawLength + 2;

    /// <summary>Canonicalizes one raw header field (folds and line break included) into <paramref name="destination"/>.</summary>
    /// <param name="raw">The field as it appears in the message.</param>
    /// <param name="destination">At least <see cref="GetMaxLength"/> bytes.</param>
    /// <param name="canonicalization">Simple or relaxed.</param>
    /// <param name="withLineBreak">Whether the result ends with CRLF (false for the DKIM-Signature field being signed).</param>
    public static int Canonicalize(ReadOnlySpan<byte> raw, Span<byte> destination, DkimCanonicalization canonicalization, bool withLineBreak)
    {
        int end = raw.Length;
        if (end > 0 && raw[end - 1] == (byte)'\n')
        {
            end--;
            if (end > 0 && raw[end - 1] == (byte)'\r')
            {
                end--;
            }
        }

        int d;
        if (canonicalization == DkimCanonicalization.Simple)
        {
            raw[..end].CopyTo(destination);
            d = end;
        }
        else
        {
            d = Relaxed(raw[..end], destination);
        }

        if (withLineBreak)
        {
            destination[d++] = (byte)'\r';
            destination[d++] = (byte)'\n';
        }

        return d;
    }

    // Relaxed (§3.4.2): lowercase the name; unfold; WSP runs become one SP; no WSP at the end of the value
    // or around the colon.
    private static int Relaxed(ReadOnlySpan<byte> field, Span<byte> destination)
    {
        int colon = field.IndexOf((byte)':');
        int nameEnd = colon < 0 ? field.Length : colon;
        int nameLength = nameEnd;
        while (nameLength > 0 && field[nameLength - 1] is (byte)' ' or (byte)'\t')
        {
            nameLength--;
        }

        int d = 0;
        for (int i = 0; i < nameLength; i++)
        {
            byte b = field[i];
            destination[d++] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }

        if (colon < 0)
        {
            return d;
        }

        destination[d++] = (byte)':';
        bool pendingSpace = false;
        bool anyValue = false;
        for (int i = colon + 1; i < field.Length; i++)
        {
            byte b = field[i];
            switch (b)
            {
                case (byte)'\r' or (byte)'\n':
                    break;
                case (byte)' ' or (byte)'\t':
                    pendingSpace = true;
                    break;
                default:
                    if (pendingSpace && anyValue)
                    {
                        destination[d++] = (byte)' ';
                    }

                    pendingSpace = false;
                    anyValue = true;
                    destination[d++] = b;
                    break;
            }
        }

        return d;
    }

    /// <summary>
    /// Hashes the signed header fields named in <paramref name="signedNames"/> (each name picks the next
    /// unused instance from the bottom, §5.4.2; a name with no instance left contributes nothing), then the
    /// DKIM-Signature field itself with its b= value already removed and without its line break.
    /// </summary>
    public static void AppendSignedHeaders(IncrementalHash hash, HeaderBlock block, IReadOnlyList<string> signedNames,
        ReadOnlySpan<byte> signatureField, DkimCanonicalization canonicalization)
    {
        IReadOnlyList<HeaderField> fields = block.Fields;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (int n = 0; n < signedNames.Count; n++)
            {
                string name = signedNames[n];

                // How many times this name was listed before: that many instances are already used.
                int skip = 0;
                for (int k = 0; k < n; k++)
                {
                    if (string.Equals(signedNames[k], name, StringComparison.OrdinalIgnoreCase))
                    {
                        skip++;
                    }
                }

                for (int i = fields.Count - 1; i >= 0; i--)
                {
                    if (!block.NameEquals(fields[i], name))
                    {
                        continue;
                    }

                    if (skip-- > 0)
                    {
                        continue;
                    }

                    AppendField(hash, block.Raw(fields[i]), canonicalization, true, ref buffer);
                    break;
                }
            }

            AppendField(hash, signatureField, canonicalization, false, ref buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> raw, DkimCanonicalization canonicalization, bool withLineBreak, ref byte[] buffer)
    {
        int max = GetMaxLength(raw.Length);
        if (buffer.Length < max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(max);
        }

        int n = Canonicalize(raw, buffer, canonicalization, withLineBreak);
        hash.AppendData(buffer, 0, n);
    }
}
