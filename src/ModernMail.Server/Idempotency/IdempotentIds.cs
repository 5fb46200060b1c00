using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ModernMail.Server.Idempotency;

/// <summary>The queue ids of the messages one idempotent request creates, fixed when the request is first claimed.</summary>
/// <remarks>
/// UUIDv7 (RFC 9562) like every queue id, so they sort by submission time: the 48-bit time is the claim's, the random bits are
/// SHA-256 of (API key, Idempotency-Key, message index). A retry that resumes a claim left by a process that died therefore asks
/// the queue for the same ids, and the queue stores each at most once.
/// </remarks>
internal sealed class IdempotentIds
{
    private readonly string _keyId;
    private readonly string _idempotencyKey;
    private readonly long _unixMilliseconds;

    public IdempotentIds(string keyId, string idempotencyKey, DateTimeOffset claimedAt)
    {
        _keyId = keyId;
        _idempotencyKey = idempotencyKey;
        _unixMilliseconds = claimedAt.ToUnixTimeMilliseconds();
    }

    /// <summary>The id of the <paramref name="index"/>-th message of the request (0 for a single message).</summary>
    public string For(int index)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{_keyId}\n{_idempotencyKey}\n{index}"), hash);
        Span<byte> uuid = stackalloc byte[16];
        hash[..16].CopyTo(uuid);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, _unixMilliseconds);
        time[2..].CopyTo(uuid); // the low 48 bits, big-endian
        uuid[6] = (byte)(0x70 | (uuid[6] & 0x0F)); // version 7
        uuid[8] = (byte)(0x80 | (uuid[8] & 0x3F)); // variant 10
        return new Guid(uuid, bigEndian: true).ToString("N");
    }
}
