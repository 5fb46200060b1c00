namespace ModernMail.Delivery.Internal;

/// <summary>A prepared message: its envelope and the exact DATA bytes (signature fields, then the message; before dot-stuffing).</summary>
internal sealed class PreparedMessage(Envelope? envelope, Stream data, SpoolStream spool) : IAsyncDisposable
{
    /// <summary>The envelope; null when the message was prepared only to be rendered.</summary>
    public Envelope? Envelope { get; } = envelope;

    /// <summary>Seekable, positioned at the start.</summary>
    public Stream Data { get; } = data;

    public async ValueTask DisposeAsync()
    {
        await Data.DisposeAsync().ConfigureAwait(false);
        await spool.DisposeAsync().ConfigureAwait(false);
    }
}
