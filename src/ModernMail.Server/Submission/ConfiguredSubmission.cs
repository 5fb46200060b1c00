using System.Net.Mail;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using ModernMail.Server.Bounces;
using ModernMail.Server.Configuration;
using ModernMail.Server.Internal;
using ModernMail.Server.Unsubscribe;

namespace ModernMail.Server.Submission;

/// <summary>The submission queue a server configuration describes (its store, DKIM keys and VERP bounce domain), for the server
/// and for <c>mailbroker queue add --config</c>, which queues a message exactly as the server's API would without it running.</summary>
internal static class ConfiguredSubmission
{
    /// <summary>Opens and initializes the store and the queue over it.</summary>
    /// <param name="settings">The server settings.</param>
    /// <param name="options">Their queue options (<see cref="SettingsBuilder.QueueOptions"/>).</param>
    /// <param name="dkim">Their DKIM keys (<see cref="SettingsBuilder.Dkim"/>).</param>
    /// <param name="secret">The server secret (<see cref="ServerSecret"/>); needed when a bounce domain is configured.</param>
    /// <param name="cancellationToken">Cancels the initialization.</param>
    /// <exception cref="ServerConfigurationException">The store or a key is invalid.</exception>
    /// <exception cref="QueueStoreException">The store cannot be opened or initialized.</exception>
    public static async Task<SubmissionQueue> OpenAsync(MailServerSettings settings, QueueOptions options, IReadOnlyList<DkimConfig> dkim, byte[]? secret,
        CancellationToken cancellationToken)
    {
        string? bounceDomain = SettingsBuilder.BounceDomain(settings);
        IQueueStore store;
        try
        {
            // The factory is how "postgres:" resolves; the core factory alone names the package and refuses it.
            options.StoreFactory ??= PostgreSqlQueueStore.FactoryFor(options.Store);
            store = options.StoreFactory?.Invoke() ?? QueueStoreFactory.Create(options.Store);
        }
        catch (ArgumentException ex)
        {
            throw new ServerConfigurationException($"Store: {ex.Message}", ex);
        }
        SubmissionQueue? queues = null;
        try
        {
            try
            {
                var bounces = bounceDomain is null ? null : new BounceAddresses(secret ?? ServerSecret.Load(settings), bounceDomain);
                queues = new SubmissionQueue(store, options, dkim, bounces);
            }
            catch (DkimException ex)
            {
                throw new ServerConfigurationException($"Dkim: {ex.Message}", ex);
            }
            await queues.WorkerQueue.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
            return queues;
        }
        catch
        {
            if (queues is not null)
            {
                await queues.DisposeAsync().ConfigureAwait(false);
            }
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Queues <paramref name="message"/> as the server's API would: signed with the configured keys, one copy per recipient
    /// with VERP senders when a bounce domain is configured, and with one-click unsubscribe links when <paramref name="unsubscribe"/>.</summary>
    /// <exception cref="ServerConfigurationException">The configuration is unusable, or unsubscribe links have no URL to point at.</exception>
    /// <exception cref="MailMessageFormatException">A field cannot be written safely.</exception>
    /// <exception cref="ArgumentException">No recipients, or an undeliverable address.</exception>
    /// <exception cref="QueueStoreException">The store failed.</exception>
    public static async Task<IReadOnlyList<SubmittedMessage>> EnqueueAsync(MailServerSettings settings, MailMessage message, bool unsubscribe,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(message);
        QueueOptions options = SettingsBuilder.QueueOptions(settings);
        byte[]? secret = unsubscribe || SettingsBuilder.BounceDomain(settings) is not null ? ServerSecret.Load(settings) : null;
        UnsubscribeLinks? links = null;
        if (unsubscribe)
        {
            string? http = settings.Http.IsDisabled ? null : MailServer.Describe(MailServer.ParseListen(settings.Http.Listen)[0]);
            links = UnsubscribeLinks.Create(settings, http, secret!)
                ?? throw new ServerConfigurationException("Unsubscribe:BaseUrl: unsubscribe links need the server's public URL (or its HTTP listener).");
        }
        var queues = await OpenAsync(settings, options, SettingsBuilder.Dkim(settings), secret, cancellationToken).ConfigureAwait(false);
        IQueueStore store = queues.WorkerQueue.Store;
        try
        {
            var details = new EntryDetails(null, null, null) { Door = MailTelemetry.DoorQueue };
            if (links is not null)
            {
                string domain = message.From?.Host ?? "";
                return await queues.EnqueueCopiesAsync(message, null, requireTls: false, details, (copy, rcpt) => links.HeadersFor(copy, rcpt, domain), cancellationToken)
                    .ConfigureAwait(false);
            }
            if (queues.SendsCopies)
            {
                return await queues.EnqueueCopiesAsync(message, null, requireTls: false, details, headersFor: null, cancellationToken).ConfigureAwait(false);
            }
            return [await queues.EnqueueAsync(message, null, requireTls: false, details, cancellationToken).ConfigureAwait(false)];
        }
        finally
        {
            await queues.DisposeAsync().ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
        }
    }
}
