using System.Buffers;
using System.Collections.Concurrent;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace ModernMail.Cli.Demo;

/// <summary>The demo MX's message store: writes the received bytes to DIR/recipient.eml, one copy per recipient, like a mailbox.</summary>
internal sealed class MaildropStore : IMessageStore
{
    private readonly string _directory;
    private readonly ConcurrentQueue<ReceivedMessage> _received = new();

    public MaildropStore(string directory) => _directory = directory;

    public IReadOnlyCollection<ReceivedMessage> Received => _received;

    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        foreach (IMailbox mailbox in transaction.To)
        {
            string recipient = $"{mailbox.User}@{mailbox.Host}";
            string path = UniquePath(recipient);
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    await file.WriteAsync(segment, cancellationToken);
                }
            }

            _received.Enqueue(new ReceivedMessage(recipient, path, context.Pipe.IsSecure));
        }

        return SmtpResponse.Ok;
    }

    private string UniquePath(string recipient)
    {
        string safe = string.Concat(recipient.Select(c => char.IsAsciiLetterOrDigit(c) || c is '@' or '.' or '-' or '_' or '+' ? c : '_'));
        string path = Path.Combine(_directory, safe + ".eml");
        for (int n = 2; File.Exists(path); n++)
        {
            path = Path.Combine(_directory, $"{safe}.{n}.eml");
        }

        return path;
    }
}
