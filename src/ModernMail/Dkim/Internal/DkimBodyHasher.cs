using System;
using System.Buffers;
using System.Security.Cryptography;

namespace ModernMail.Dkim.Internal;

/// <summary>Hashes a body with SHA-256 as it streams through a <see cref="DkimBodyCanonicalizer"/>, in flat memory.</summary>
internal sealed class DkimBodyHasher : IDisposable
{
    private const int BufferSize = 16 * 1024;

    private readonly DkimBodyCanonicalizer _canonicalizer;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _limit;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private long _hashed;

    /// <param name="canonicalization">The body canonicalization.</param>
    /// <param name="limit">The l= body length: how many canonical bytes to hash; -1 for all.</param>
    public DkimBodyHasher(DkimCanonicalization canonicalization, long limit = -1)
    {
        _canonicalizer = new DkimBodyCanonicalizer(canonicalization);
        _limit = limit;
    }

    /// <summary>How many canonical body bytes there were (including any beyond the limit).</summary>
    public long CanonicalLength { get; private set; }

    public void Append(ReadOnlySpan<byte> data) => Run(data, isFinal: false);

    /// <summary>Finishes the body and returns its SHA-256 hash.</summary>
    public byte[] Complete()
    {
        Run(ReadOnlySpan<byte>.Empty, isFinal: true);
        return _hash.GetHashAndReset();
    }

    public void Dispose()
    {
        _hash.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private void Run(ReadOnlySpan<byte> data, bool isFinal)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        while (true)
        {
            OperationStatus status = _canonicalizer.Encode(data, _buffer, out int consumed, out int written, isFinal);
            Hash(_buffer.AsSpan(0, written));
            data = data[consumed..];
            if (status != OperationStatus.DestinationTooSmall)
            {
                return;
            }
        }
    }

    private void Hash(ReadOnlySpan<byte> canonical)
    {
        CanonicalLength += canonical.Length;
        if (_limit >= 0)
        {
            long room = _limit - _hashed;
            if (room <= 0)
            {
                return;
            }

            if (canonical.Length > room)
            {
                canonical = canonical[..(int)room];
            }
        }

        _hash.AppendData(canonical);
        _hashed += canonical.Length;
    }
}
