using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using ModernMail.Queue;
using ModernMail.Server.Configuration;
using ModernMail.Server.Events;
using ModernMail.Server.Internal;

namespace ModernMail.Server.Webhooks;

/// <summary>Delivers the event stream to one webhook URL: one POST per event, in event order, at least once.</summary>
/// <remarks>The events table is the outbox: the endpoint's cursor (an <see cref="EventSubscription"/>) moves only after the receiver
/// answered 2xx, so a crash or restart re-sends at most the events since the last saved cursor, never skips one. The cursor is held
/// under a lease, so over a shared PostgreSQL store one node delivers each endpoint. This loop only reads events: however slow the
/// receiver, it never delays delivery.</remarks>
internal sealed class WebhookEndpoint(WebhookSettings settings, IQueueStore store, HttpClient http, ILogger logger, TimeProvider time, string owner)
{
    /// <summary>How long a claim on the endpoint lasts without renewal; a node that dies is replaced after this.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_idlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_firstRetryDelay = TimeSpan.FromSeconds(1);
    private const int BatchSize = 100;

    private readonly HashSet<QueueEventType>? _types = settings.Events.Count == 0 ? null : settings.Events.Select(t => EventJson.ParseType(t)!.Value).ToHashSet();

    // The URL without its query: a token there is a credential and stays out of the log.
    private readonly string _logUrl = new Uri(settings.Url).GetLeftPart(UriPartial.Path);
    private DateTimeOffset _leaseUntil;
    private volatile Position? _position;

    /// <summary>Where this node is in the outbox while it holds the endpoint: the last event passed (null before the first), and
    /// the subscription's start (older events are never sent); null while another node holds it.</summary>
    internal sealed record Position(string? Cursor, DateTimeOffset Since);

    /// <summary>See <see cref="Position"/>.</summary>
    internal Position? Current => _position;

    /// <summary>The endpoint's URL without its query (which may hold a token), for labels and logs.</summary>
    internal string Label => _logUrl;

    /// <summary>The subscription's name in the store.</summary>
    public string Name { get; } = "webhook:" + new Uri(settings.Url).AbsoluteUri;

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var subscription = await store.ClaimSubscriptionAsync(Name, owner, time.GetUtcNow(), Lease, stopping).ConfigureAwait(false);
                if (subscription is null)
                {
                    // Another node delivers this endpoint; take over if its lease runs out.
                    await Task.Delay(Lease / 3, time, stopping).ConfigureAwait(false);
                    continue;
                }
                _leaseUntil = time.GetUtcNow() + Lease;
                ServerLog.WebhookClaimed(logger, _logUrl);
                try
                {
                    await DeliverWhileHeldAsync(subscription, stopping).ConfigureAwait(false);
                }
                finally
                {
                    _position = null;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (QueueStoreException ex)
            {
                ServerLog.WebhookStoreFailed(logger, ex, _logUrl);
                await DelayQuietlyAsync(TimeSpan.FromSeconds(5), stopping).ConfigureAwait(false);
            }
        }
        try
        {
            using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await store.ReleaseSubscriptionAsync(Name, owner, release.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QueueStoreException or OperationCanceledException or ObjectDisposedException)
        {
            // The lease runs out by itself.
        }
    }

    /// <summary>Posts events until the lease is lost (returns) or the server stops (throws).</summary>
    private async Task DeliverWhileHeldAsync(EventSubscription subscription, CancellationToken stopping)
    {
        string? cursor = subscription.Cursor;
        _position = new Position(cursor, subscription.CreatedAt);
        while (true)
        {
            var events = await store.ReadEventsAsync(new EventQuery { After = cursor, Limit = BatchSize }, stopping).ConfigureAwait(false);
            if (events.Count == 0)
            {
                if (!await RenewIfDueAsync(null, stopping).ConfigureAwait(false))
                {
                    return;
                }
                await Task.Delay(s_idlePoll, time, stopping).ConfigureAwait(false);
                continue;
            }
            foreach (var e in events)
            {
                // Events from before the endpoint was first configured are not sent (it would otherwise get the whole history).
                if ((_types is null || _types.Contains(e.Type)) && e.At >= subscription.CreatedAt
                    && !await PostUntilAcceptedAsync(e, cursor, stopping).ConfigureAwait(false))
                {
                    return;
                }
                cursor = e.Cursor;
                _position = new Position(cursor, subscription.CreatedAt);
            }
            if (!await SaveAsync(cursor, stopping).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Posts one event until the receiver takes it or <see cref="WebhookSettings.RetryFor"/> passes; false when the lease was lost meanwhile.</summary>
    private async Task<bool> PostUntilAcceptedAsync(QueueEvent e, string? cursor, CancellationToken stopping)
    {
        byte[] body = EventJson.ToUtf8(e);
        DateTimeOffset? failingSince = null;
        TimeSpan delay = s_firstRetryDelay;
        while (true)
        {
            string? failure = await PostAsync(e, body, stopping).ConfigureAwait(false);
            if (failure is null)
            {
                return true;
            }
            DateTimeOffset now = time.GetUtcNow();
            failingSince ??= now;
            if (now - failingSince.Value >= settings.RetryFor)
            {
                ServerLog.WebhookSkipped(logger, _logUrl, e.Id, now - failingSince.Value, failure);
                return true;
            }
            ServerLog.WebhookRetry(logger, _logUrl, e.Id, failure, delay);
            // Keep the lease while waiting, and save what was delivered so far so a restart resumes at this event.
            if (!await SaveAsync(cursor, stopping).ConfigureAwait(false))
            {
                return false;
            }
            DateTimeOffset wakeAt = now + delay;
            while (time.GetUtcNow() < wakeAt)
            {
                TimeSpan left = wakeAt - time.GetUtcNow();
                await Task.Delay(left < Lease / 3 ? left : Lease / 3, time, stopping).ConfigureAwait(false);
                if (!await RenewIfDueAsync(cursor, stopping).ConfigureAwait(false))
                {
                    return false;
                }
            }
            delay = delay * 2 < settings.MaxRetryDelay ? delay * 2 : settings.MaxRetryDelay;
        }
    }

    /// <summary>One POST; null when the receiver answered 2xx, else why not.</summary>
    private async Task<string?> PostAsync(QueueEvent e, byte[] body, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.HeaderName, WebhookSignature.Compute(settings.Secret, time.GetUtcNow(), body));
        request.Headers.TryAddWithoutValidation("ModernMail-Event-Id", e.Id);
        request.Headers.TryAddWithoutValidation("ModernMail-Event-Type", EventJson.TypeName(e.Type));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return string.Create(CultureInfo.InvariantCulture, $"no answer within {settings.Timeout.TotalSeconds:0.#} s");
        }
    }

    private async Task<bool> RenewIfDueAsync(string? cursor, CancellationToken stopping) =>
        time.GetUtcNow() < _leaseUntil - Lease / 2 || await SaveAsync(cursor, stopping).ConfigureAwait(false);

    private async Task<bool> SaveAsync(string? cursor, CancellationToken stopping)
    {
        DateTimeOffset until = time.GetUtcNow() + Lease;
        if (!await store.SaveSubscriptionAsync(Name, owner, cursor, until, stopping).ConfigureAwait(false))
        {
            return false;
        }
        _leaseUntil = until;
        return true;
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition ends it.
        }
    }
}
