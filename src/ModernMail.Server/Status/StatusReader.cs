using ModernMail.Diagnostics;
using ModernMail.Queue;
using ModernMail.Server.Events;
using ModernMail.Server.Http;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Status;

/// <summary>What the status page shows, read from the queue store: the one source of both the HTML page and <c>/v1/status/...</c>.</summary>
internal sealed class StatusReader(IQueueStore store, IServerStore serverStore)
{
    /// <summary>How many pending messages the per-destination table reads, at most.</summary>
    public const int DestinationScanLimit = 10_000;

    /// <summary>How many messages a search shows, at most (the newest).</summary>
    public const int SearchLimit = 20;

    /// <summary>How many events of one type <see cref="OutcomesAsync"/> counts, at most.</summary>
    public const int OutcomeCountLimit = 1000;

    private static readonly QueueEventType[] s_outcomes = [QueueEventType.Delivered, QueueEventType.Deferred, QueueEventType.Bounced, QueueEventType.Expired];

    /// <summary>How many matching messages a recipient search reads, at most, to find the newest.</summary>
    private const int SearchScanLimit = 1_000;

    /// <summary>Groups the recipients not yet final by recipient domain, busiest first.</summary>
    public async Task<DomainBacklogList> DestinationsAsync(CancellationToken cancellationToken)
    {
        var messages = await store.ListAsync(pendingOnly: true, DestinationScanLimit, cancellationToken).ConfigureAwait(false);
        var byDomain = new Dictionary<string, Tally>(StringComparer.OrdinalIgnoreCase);
        foreach (var message in messages)
        {
            foreach (var recipient in message.Recipients)
            {
                if (recipient.IsFinal)
                {
                    continue;
                }
                string domain = recipient.Address[(recipient.Address.LastIndexOf('@') + 1)..].ToLowerInvariant();
                if (!byDomain.TryGetValue(domain, out var tally))
                {
                    tally = new Tally();
                    byDomain.Add(domain, tally);
                }
                tally.Add(recipient);
            }
        }
        var destinations = byDomain
            .Select(d => new DomainBacklog(d.Key, ProviderRollup.Of(null, d.Key), d.Value.Queued, d.Value.Delivering, d.Value.Deferred, d.Value.Deferrals,
                d.Value.LastError, d.Value.LastErrorAt))
            .OrderByDescending(d => d.Queued + d.Delivering + d.Deferred)
            .ThenBy(d => d.Domain, StringComparer.Ordinal)
            .ToList();
        return new DomainBacklogList(destinations, messages.Count >= DestinationScanLimit);
    }

    /// <summary>Delivered, deferred, bounced and expired events in the hour before <paramref name="now"/>, from the newest events of each type.</summary>
    public async Task<IReadOnlyList<OutcomeCount>> OutcomesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        DateTimeOffset since = now - TimeSpan.FromHours(1);
        var counts = new List<OutcomeCount>(s_outcomes.Length);
        foreach (var type in s_outcomes)
        {
            var events = await store.ReadEventsAsync(new EventQuery { Type = type, Limit = OutcomeCountLimit, Newest = true }, cancellationToken).ConfigureAwait(false);
            int count = events.Count(e => e.At >= since);
            counts.Add(new OutcomeCount(EventJson.TypeName(type), count, count == OutcomeCountLimit));
        }
        return counts;
    }

    /// <summary>The newest <paramref name="limit"/> events, of one type and one message if given, oldest first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not 1 to 1000.</exception>
    public Task<IReadOnlyList<QueueEvent>> LastEventsAsync(QueueEventType? type, string? messageId, int limit, CancellationToken cancellationToken) =>
        store.ReadEventsAsync(new EventQuery { Type = type, MessageId = messageId, Limit = limit, Newest = true }, cancellationToken);

    /// <summary>The message with id <paramref name="text"/>, or the newest <see cref="SearchLimit"/> messages to that recipient address,
    /// newest first, each with every attempt.</summary>
    public async Task<IReadOnlyList<MessageStatus>> SearchAsync(string text, CancellationToken cancellationToken)
    {
        text = text.Trim();
        var found = new List<QueuedMessage>();
        if (text.Contains('@', StringComparison.Ordinal))
        {
            // Ids are time-ordered and the store lists in id order: keep the last page's worth of what matches.
            var ids = new Queue<string>();
            string? after = null;
            for (int scanned = 0; scanned < SearchScanLimit;)
            {
                var page = await store.QueryAsync(new QueueQuery(200, after, Recipient: text), cancellationToken).ConfigureAwait(false);
                foreach (var message in page)
                {
                    ids.Enqueue(message.Id);
                    if (ids.Count > SearchLimit)
                    {
                        ids.Dequeue();
                    }
                    after = message.Id;
                }
                scanned += page.Count;
                if (page.Count < 200)
                {
                    break;
                }
            }
            foreach (string id in ids.Reverse())
            {
                if (await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } message)
                {
                    found.Add(message);
                }
            }
        }
        else if (text.Length is > 0 and <= 64 && await store.GetAsync(text, cancellationToken).ConfigureAwait(false) is { } message)
        {
            found.Add(message);
        }
        var results = new List<MessageStatus>(found.Count);
        foreach (var message in found)
        {
            MessageInfo? info = await serverStore.GetMessageInfoAsync(message.Id, cancellationToken).ConfigureAwait(false);
            results.Add(MessageEndpoints.ToStatus(message, info, history: true));
        }
        return results;
    }

    private sealed class Tally
    {
        public long Queued { get; private set; }

        public long Delivering { get; private set; }

        public long Deferred { get; private set; }

        public long Deferrals { get; private set; }

        public string? LastError { get; private set; }

        public DateTimeOffset? LastErrorAt { get; private set; }

        public void Add(QueuedRecipient recipient)
        {
            switch (recipient.State)
            {
                case RecipientState.Queued:
                    Queued++;
                    break;
                case RecipientState.Delivering:
                    Delivering++;
                    break;
                default:
                    Deferred++;
                    break;
            }
            Deferrals += recipient.Attempts;
            if (recipient.Attempts > 0 && recipient.LastReply is { } reply && (LastErrorAt is null || recipient.UpdatedAt > LastErrorAt))
            {
                LastError = reply;
                LastErrorAt = recipient.UpdatedAt;
            }
        }
    }
}
