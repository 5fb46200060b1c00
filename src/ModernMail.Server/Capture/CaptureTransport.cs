using System.Text.Json;
using ModernMail.Delivery;

namespace ModernMail.Server.Capture;

/// <summary>The worker's transport in capture mode: each message is written to the capture folder (the message as it would have
/// gone on the wire, and its envelope) and every recipient is recorded as delivered ("captured, not sent"); nothing leaves
/// the machine. The newest <see cref="MaxKept"/> messages are kept.</summary>
internal sealed class CaptureTransport(string directory, TimeProvider time) : IMailTransport
{
    /// <summary>The reply text every captured recipient gets, in its event and its status.</summary>
    public const string Detail = "captured (capture mode): not sent";

    /// <summary>How many captured messages are kept; older ones are deleted.</summary>
    public const int MaxKept = 1000;

    public string Directory { get; } = directory;

    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        System.IO.Directory.CreateDirectory(Directory);
        // Sortable by time, unique, and only [0-9a-f-]: the name is also the id in the capture pages' URLs.
        string id = $"{time.GetUtcNow().UtcTicks:x16}-{Guid.NewGuid():N}";
        string path = Path.Combine(Directory, id);
        var file = new FileStream(path + ".eml.tmp", FileMode.CreateNew, FileAccess.Write);
        await using (file.ConfigureAwait(false))
        {
            await message.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        await File.WriteAllTextAsync(path + ".json", JsonSerializer.Serialize(new CapturedEnvelope(envelope.Sender?.Address, [.. envelope.Recipients.Select(r => r.Address)],
            time.GetUtcNow())), cancellationToken).ConfigureAwait(false);
        File.Move(path + ".eml.tmp", path + ".eml");
        Prune();
        var results = new DeliveryResult[envelope.Recipients.Count];
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = new DeliveryResult(envelope.Recipients[i], delivered: true, isTransient: false) { Stage = SmtpStage.FinalDot, Detail = Detail };
        }
        return results;
    }

    private void Prune()
    {
        var files = System.IO.Directory.GetFiles(Directory, "*.eml").Order(StringComparer.Ordinal).ToList();
        foreach (string old in files.Take(Math.Max(0, files.Count - MaxKept)))
        {
            File.Delete(old);
            File.Delete(Path.ChangeExtension(old, ".json"));
        }
    }
}

/// <summary>The envelope kept beside a captured message.</summary>
internal sealed record CapturedEnvelope(string? Sender, IReadOnlyList<string> Recipients, DateTimeOffset CapturedAt);
