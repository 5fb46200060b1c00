using System.Buffers;
using System.Text.Unicode;

namespace ModernMail.Mime.Internal;

/// <summary>Where a leaf part's bytes come from: a string (encoded as UTF-8) or a stream, read in chunks.</summary>
internal abstract class ContentSource
{
    /// <summary>Reads the next chunk into <paramref name="buffer"/>; 0 at the end.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>A source over a string, encoded to UTF-8 a chunk at a time (never splitting a surrogate pair).</summary>
    public sealed class Text(string text) : ContentSource
    {
        private int _position;

        /// <summary>The whole text.</summary>
        public string Value => text;

        /// <inheritdoc/>
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Utf8.FromUtf16(text.AsSpan(_position), buffer.Span, out int read, out int written);
            _position += read;
            return ValueTask.FromResult(written);
        }
    }

    /// <summary>A source over a stream, read from its start when it can seek, else from where it is.</summary>
    public sealed class FromStream(Stream stream) : ContentSource
    {
        /// <summary>Whether the stream can be read twice (once to analyze, once to write).</summary>
        public bool CanSeek => stream.CanSeek;

        /// <summary>Reads the whole (seekable) stream to choose a transfer encoding, then rewinds it.</summary>
        public async Task<TextAnalysis> AnalyzeAsync(CancellationToken cancellationToken)
        {
            Rewind();
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                var analysis = new TextAnalysis();
                int n;
                while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    analysis.Add(buffer.AsSpan(0, n));
                }

                return analysis;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                Rewind();
            }
        }

        /// <summary>Rewinds a seekable stream so a message can be written more than once.</summary>
        public void Rewind()
        {
            if (stream.CanSeek)
            {
                stream.Position = 0;
            }
        }

        /// <inheritdoc/>
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
            => stream.ReadAsync(buffer, cancellationToken);
    }
}
