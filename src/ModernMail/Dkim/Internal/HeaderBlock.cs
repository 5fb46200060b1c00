using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace ModernMail.Dkim.Internal;

/// <summary>
/// The header block of a message read into one pooled buffer, split into fields, plus the first body bytes
/// that were read with it. Bounded: a header block over the limit is an error, never a growing buffer.
/// </summary>
internal sealed class HeaderBlock : IDisposable
{
    private const int InitialSize = 16 * 1024;

    private byte[]? _buffer;
    private readonly int _headerLength;
    private readonly int _bodyStart;
    private readonly int _filled;

    private HeaderBlock(byte[] buffer, int headerLength, int bodyStart, int filled, List<HeaderField> fields)
    {
        _buffer = buffer;
        _headerLength = headerLength;
        _bodyStart = bodyStart;
        _filled = filled;
        Fields = fields;
    }

    public IReadOnlyList<HeaderField> Fields { get; }

    /// <summary>The header bytes, ending after the last field's line break (the blank separator line excluded).</summary>
    public ReadOnlySpan<byte> Headers => Buffer.AsSpan(0, _headerLength);

    /// <summary>Body bytes that were read together with the headers.</summary>
    public ReadOnlySpan<byte> BodyStart => Buffer.AsSpan(_bodyStart, _filled - _bodyStart);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(HeaderBlock));

    public ReadOnlySpan<byte> Raw(HeaderField field) => Buffer.AsSpan(field.Start, field.Length);

    public ReadOnlySpan<byte> Name(HeaderField field) => Buffer.AsSpan(field.Start, field.NameLength);

    public bool NameEquals(HeaderField field, string name) => Ascii.EqualsIgnoreCase(Name(field), name);

    /// <summary>How many fields have the given name (case-insensitive).</summary>
    public int Count(string name)
    {
        int count = 0;
        foreach (HeaderField field in Fields)
        {
            if (NameEquals(field, name))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The raw field as a string, one char per byte, so that it re-encodes to the same bytes.</summary>
    public string RawString(HeaderField field) => Encoding.Latin1.GetString(Raw(field));

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    /// <summary>Reads the header block from <paramref name="stream"/>; the stream is left positioned somewhere in the body.</summary>
    /// <exception cref="DkimException">The header block is larger than <paramref name="maxHeaderBytes"/>.</exception>
    public static async Task<HeaderBlock> ReadAsync(Stream stream, int maxHeaderBytes, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialSize, maxHeaderBytes + 4));
        int filled = 0;
        int scanned = 0;
        try
        {
            while (true)
            {
                if (TryFindEnd(buffer.AsSpan(0, filled), scanned, out int headerLength, out int bodyStart))
                {
                    if (headerLength > maxHeaderBytes)
                    {
                        throw TooLarge(maxHeaderBytes);
                    }

                    return Create(buffer, headerLength, bodyStart, filled);
                }

                scanned = Math.Max(0, filled - 3);
                if (filled > maxHeaderBytes)
                {
                    throw TooLarge(maxHeaderBytes);
                }

                if (filled == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxHeaderBytes + 4));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    // No blank line: the whole message is headers and the body is empty.
                    return Create(buffer, filled, filled, filled);
                }

                filled += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Splits an in-memory message; <paramref name="bodyOffset"/> is where its body starts.</summary>
    public static HeaderBlock Read(ReadOnlySpan<byte> message, int maxHeaderBytes, out int bodyOffset)
    {
        if (!TryFindEnd(message, 0, out int headerLength, out bodyOffset))
        {
            headerLength = message.Length;
            bodyOffset = message.Length;
        }

        if (headerLength > maxHeaderBytes)
        {
            throw TooLarge(maxHeaderBytes);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(headerLength, 1));
        message[..headerLength].CopyTo(buffer);
        return Create(buffer, headerLength, headerLength, headerLength);
    }

    private static DkimException TooLarge(int maxHeaderBytes) =>
        new($"The message's header block is larger than {maxHeaderBytes} bytes; DKIM refuses to process it (is the blank line between headers and body missing?).");

    private static HeaderBlock Create(byte[] buffer, int headerLength, int bodyStart, int filled) =>
        new(buffer, headerLength, bodyStart, filled, SplitFields(buffer.AsSpan(0, headerLength)));

    /// <summary>Finds the blank line that ends the header block: CRLF CRLF (or LF LF), or a blank first line.</summary>
    private static bool TryFindEnd(ReadOnlySpan<byte> data, int from, out int headerLength, out int bodyStart)
    {
        if (from == 0 && data.Length > 0)
        {
            if (data[0] == (byte)'\n')
            {
                headerLength = 0;
                bodyStart = 1;
                return true;
            }

            if (data.Length > 1 && data[0] == (byte)'\r' && data[1] == (byte)'\n')
            {
                headerLength = 0;
                bodyStart = 2;
                return true;
            }
        }

        int i = from;
        while (true)
        {
            int lf = data[i..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }

            int end = i + lf + 1;
            if (end < data.Length && data[end] == (byte)'\n')
            {
                headerLength = end;
                bodyStart = end + 1;
                return true;
            }

            if (end + 1 < data.Length && data[end] == (byte)'\r' && data[end + 1] == (byte)'\n')
            {
                headerLength = end;
                bodyStart = end + 2;
                return true;
            }

            i = end;
        }

        headerLength = 0;
        bodyStart = 0;
        return false;
    }

    // field = name ":" value CRLF; a line that starts with WSP continues the previous field (RFC 5322 §2.2.3).
    private static List<HeaderField> SplitFields(ReadOnlySpan<byte> headers)
    {
        var fields = new List<HeaderField>(headers.Count((byte)'\n') + 1);
        int start = -1;
        int i = 0;
        while (i < headers.Length)
        {
            int lf = headers[i..].IndexOf((byte)'\n');
            int next = lf < 0 ? headers.Length : i + lf + 1;
            bool continuation = headers[i] is (byte)' ' or (byte)'\t';
            if (!continuation || start < 0)
            {
                if (start >= 0)
                {
                    fields.Add(MakeField(headers, start, i));
                }

                start = i;
            }

            i = next;
        }

        if (start >= 0)
        {
            fields.Add(MakeField(headers, start, headers.Length));
        }

        return fields;
    }

    private static HeaderField MakeField(ReadOnlySpan<byte> headers, int start, int end)
    {
        ReadOnlySpan<byte> raw = headers[start..end];
        int colon = raw.IndexOf((byte)':');
        int nameLength = colon < 0 ? raw.Length : colon;
        while (nameLength > 0 && raw[nameLength - 1] is (byte)' ' or (byte)'\t')
        {
            nameLength--;
        }

        return new HeaderField(start, end - start, nameLength);
    }
}
