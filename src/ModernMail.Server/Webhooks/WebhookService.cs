using System.Net;
using Microsoft.Extensions.Logging;
using ModernMail.Queue;
using ModernMail.Server.Configuration;

namespace ModernMail.Server.Webhooks;

/// <summary>Runs one <see cref="WebhookEndpoint"/> loop per configured webhook beside the queue worker.</summary>
internal sealed class WebhookService : IAsyncDisposable
{
    private readonly List<WebhookEndpoint> _endpoints;
    private readonly WebhookOutboxGauge _outbox;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private List<Task> _running = [];

    public WebhookService(IReadOnlyList<WebhookSettings> webhooks, IQueueStore store, ILoggerFactory loggers, TimeProvider time)
    {
        // No redirects (a receiver moves by configuration, not by answering 3xx), a bounded answer, pooled connections renewed for DNS changes.
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxResponseHeadersLength = 64,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = 64 * 1024,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("ModernMail-Webhook/1");
        string owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        var logger = loggers.CreateLogger<WebhookService>();
        _endpoints = webhooks.Select(w => new WebhookEndpoint(w, store, _http, logger, time, owner)).ToList();
        _outbox = new WebhookOutboxGauge(_endpoints, store, time);
    }

    public void Start()
    {
        if (_running.Count == 0)
        {
            _running = _endpoints.Select(e => Task.Run(() => e.RunAsync(_stopping.Token))).ToList();
        }
    }

    /// <summary>Stops posting; an event in flight is re-sent after the restart (at least once).</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _outbox.Dispose();
        _http.Dispose();
        _stopping.Dispose();
    }
}
