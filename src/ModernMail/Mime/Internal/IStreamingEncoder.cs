using System.Buffers;

namespace ModernMail.Mime.Internal;

/// <summary>An incremental byte encoder with the same contract as <see cref="System.Buffers.Text.Base64"/>.</summary>
/// <remarks>
/// <see cref="OperationStatus.NeedMoreData"/> is returned only when <c>isFinal</c> is false and the whole
/// source was consumed (leftovers are kept in the encoder's state). <see cref="OperationStatus.Done"/> is
/// returned only when <c>isFinal</c> is true and everything, state included, was written.
/// <see cref="OperationStatus.DestinationTooSmall"/> means "call again with more room"; a destination of
/// <see cref="MinimumDestinationLength"/> bytes always makes progress.
/// </remarks>
internal interface IStreamingEncoder
{
    /// <summary>The smallest destination that always lets the encoder make progress.</summary>
    const int MinimumDestinationLength = 80;

    /// <summary>Encodes as much of <paramref name="source"/> as fits into <paramref name="destination"/>.</summary>
    OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal);

    /// <summary>Forgets all state so the encoder can start a new stream.</summary>
    void Reset();
}
