using System.Net.Mail;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

[Collection(AllocationMeasurement.Name)]
public class StreamingTests
{
    [Fact]
    public async Task LargeNonSeekableAttachment_AllocatesFarLessThanItsSize()
    {
        const int size = 20 * 1024 * 1024;
        using var msg = new MailMessage("a@example.com", "b@example.com", "big", "see attachment");
        msg.Attachments.Add(new Attachment(new GeneratedStream(size, seed: 1), "big.bin"));
        var options = DeterministicOptions();
        var counting = new CountingStream();

        // Warm up code paths (JIT, pools) so the measurement sees steady-state allocations.
        using (var warm = new MailMessage("a@example.com", "b@example.com", "w", "w"))
        {
            warm.Attachments.Add(new Attachment(new GeneratedStream(100_000, seed: 2), "w.bin"));
            await MailMessageWriter.WriteAsync(warm, Stream.Null, DeterministicOptions(), TestContext.Current.CancellationToken);
        }

        long before = AllocationMeasurement.AllocatedBytes();
        await MailMessageWriter.WriteAsync(msg, counting, options, TestContext.Current.CancellationToken).ConfigureAwait(true);
        long allocated = AllocationMeasurement.AllocatedBytes() - before;

        Assert.True(counting.Written > size * 4L / 3, $"wrote only {counting.Written} bytes");
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated:N0} bytes while writing a {size:N0}-byte attachment");
    }

    /// <summary>Like Stream.Null but counts, so the test can see the whole attachment went out.</summary>
    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
