using System.Diagnostics.Metrics;
using ModernMail.Diagnostics;
using ModernMail.Queue;

namespace ModernMail.Server.Webhooks;

/// <summary>The observable gauge <c>modernmail.webhook.outbox</c>: events each webhook endpoint this node holds has not been
/// given yet (counted up to 1,000: "at least" beyond), labelled by the endpoint's URL without its query.</summary>
/// <remarks>Like the queue depth gauge, a scrape never waits for the store: it reports the last counts and, when they are
/// older than 5 s, counts again in the background.</remarks>
internal sealed class WebhookOutboxGauge : IDisposable
{
    private const int CountLimit = 1000;
    private static readonly TimeSpan s_refresh = TimeSpan.FromSeconds(5);
    private static readonly Lock s_lock = new();
    private static readonly List<WebhookOutboxGauge> s_gauges = [];

    private static readonly ObservableGauge<long> s_instrument = MailTelemetry.Meter.CreateObservableGauge(
        "modernmail.webhook.outbox", Observe, "{event}", "Events a webhook endpoint has not been given yet, per endpoint this node delivers (counted up to 1000).");

    private readonly IReadOnlyList<WebhookEndpoint> _endpoints;
    private readonly IQueueStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private IReadOnlyList<(string Endpoint, long Depth)> _last = [];
    private DateTimeOffset _countedAt = DateTimeOffset.MinValue;
    private bool _counting;

    public WebhookOutboxGauge(IReadOnlyList<WebhookEndpoint> endpoints, IQueueStore store, TimeProvider time)
    {
        _endpoints = endpoints;
        _store = store;
        _time = time;
        lock (s_lock)
        {
            s_gauges.Add(this);
        }
    }

    public void Dispose()
    {
        lock (s_lock)
        {
            s_gauges.Remove(this);
        }
    }

    /// <summary>Counts every held endpoint's undelivered events now.</summary>
    internal async Task<IReadOnlyList<(string Endpoint, long Depth)>> CountAsync(CancellationToken cancellationToken)
    {
        var counts = new List<(string, long)>();
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.Current is not { } position)
            {
                continue;
            }
            var pending = await _store.ReadEventsAsync(new EventQuery { After = position.Cursor, Limit = CountLimit }, cancellationToken).ConfigureAwait(false);
            counts.Add((endpoint.Label, pending.Count(e => e.At >= position.Since)));
        }
        return counts;
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        WebhookOutboxGauge[] gauges;
        lock (s_lock)
        {
            gauges = [.. s_gauges];
        }
        return gauges.SelectMany(g => g.LastAndRefresh())
            .Select(d => new Measurement<long>(d.Depth, new KeyValuePair<string, object?>("endpoint", d.Endpoint)));
    }

    private IReadOnlyList<(string Endpoint, long Depth)> LastAndRefresh()
    {
        lock (_lock)
        {
            if (!_counting && _time.GetUtcNow() - _countedAt >= s_refresh)
            {
                _counting = true;
                _ = Task.Run(RefreshAsync);
            }
            return _last;
        }
    }

    private async Task RefreshAsync()
    {
        IReadOnlyList<(string, long)>? counts = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            counts = await CountAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QueueStoreException or OperationCanceledException or ObjectDisposedException)
        {
            // The store is down or closing: keep the last counts.
        }
        lock (_lock)
        {
            _last = counts ?? _last;
            _countedAt = _time.GetUtcNow();
            _counting = false;
        }
    }
}
