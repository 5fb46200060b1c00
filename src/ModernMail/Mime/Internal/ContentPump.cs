using System.Buffers;

namespace ModernMail.Mime.Internal;

/// <summary>Moves part content from its source through up to two encoders into the writer, chunk by chunk.</summary>
internal sealed class ContentPump
{
    private const int ChunkSize = 57 * 256; // whole base64 lines per chunk

    private readonly BufferedStreamWriter _writer;
    private readonly IStreamingEncoder? _first;
    private readonly IStreamingEncoder? _second;
    private readonly byte[]? _middle;

    private ContentPump(BufferedStreamWriter writer, IStreamingEncoder? first, IStreamingEncoder? second, byte[]? middle)
    {
        _writer = writer;
        _first = first;
        _second = second;
        _middle = middle;
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="writer"/> through the encoders (either may be null).</summary>
    public static async Task RunAsync(ContentSource source, BufferedStreamWriter writer, IStreamingEncoder? first, IStreamingEncoder? second, CancellationToken cancellationToken)
    {
        if (first is null)
        {
            (first, second) = (second, null);
        }

        byte[] input = ArrayPool<byte>.Shared.Rent(ChunkSize);
        byte[]? middle = second is null ? null : ArrayPool<byte>.Shared.Rent(ChunkSize * 2);
        try
        {
            var pump = new ContentPump(writer, first, second, middle);
            while (true)
            {
                int n = await source.ReadAsync(input.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false);
                bool isFinal = n == 0;
                await pump.FeedAsync(input.AsMemory(0, n), isFinal, cancellationToken).ConfigureAwait(false);
                if (isFinal)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            if (middle is not null)
            {
                ArrayPool<byte>.Shared.Return(middle);
            }
        }
    }

    private async ValueTask FeedAsync(ReadOnlyMemory<byte> data, bool isFinal, CancellationToken cancellationToken)
    {
        if (_first is null)
        {
            await _writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_second is null || _middle is null)
        {
            await EncodeIntoWriterAsync(_first, data, isFinal, cancellationToken).ConfigureAwait(false);
            return;
        }

        while (true)
        {
            OperationStatus status = _first.Encode(data.Span, _middle, out int consumed, out int written, isFinal);
            data = data[consumed..];
            await EncodeIntoWriterAsync(_second, _middle.AsMemory(0, written), status == OperationStatus.Done, cancellationToken).ConfigureAwait(false);
            if (status != OperationStatus.DestinationTooSmall)
            {
                return;
            }
        }
    }

    private async ValueTask EncodeIntoWriterAsync(IStreamingEncoder encoder, ReadOnlyMemory<byte> data, bool isFinal, CancellationToken cancellationToken)
    {
        while (true)
        {
            OperationStatus status = encoder.Encode(data.Span, _writer.GetSpan(), out int consumed, out int written, isFinal);
            _writer.Advance(written);
            data = data[consumed..];
            if (status != OperationStatus.DestinationTooSmall)
            {
                return;
            }

            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
