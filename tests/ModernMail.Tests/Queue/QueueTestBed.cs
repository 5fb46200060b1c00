using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>A SQLite queue in a temporary directory with a fake clock and a seeded random source.</summary>
internal sealed class QueueTestBed : IAsyncDisposable
{
    public QueueTestBed(Action<QueueOptions>? configure = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "mm-queue-" + Guid.NewGuid().ToString("N"));
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        Options = new QueueOptions
        {
            Store = "sqlite:" + Directory,
            TimeProvider = Time,
            Random = new Random(42),
            HostName = "queue.example.test",
            PollInterval = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(Options);
        Queue = new MailQueue(Options);
    }

    public string Directory { get; }

    public FakeTimeProvider Time { get; }

    public QueueOptions Options { get; }

    public MailQueue Queue { get; }

    public static byte[] Message(string subject = "Hello") => Encoding.ASCII.GetBytes(
        $"From: sender@sender.test\r\nTo: someone@a.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@sender.test>\r\n\r\nBody line\r\n");

    public Task<string> EnqueueAsync(string? sender, params string[] recipients)
        => EnqueueAsync(sender, Message(), recipients);

    public async Task<string> EnqueueAsync(string? sender, byte[] message, params string[] recipients)
    {
        var envelope = new Envelope(sender is null ? null : new MailAddress(sender), recipients.Select(r => new MailAddress(r)).ToList());
        return await Queue.EnqueueAsync(envelope, new MemoryStream(message), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Queue.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
