using Microsoft.Extensions.Logging;

namespace ModernMail.Cli.Output;

/// <summary>
/// Says on stderr what a send is waiting for once it has been silent for a few seconds, so an interactive
/// <c>mailbroker send</c> to a stalled mail exchanger is never a silent hang. It reads the engine's own log events
/// (MX lookup, connect, SMTP transcript), so it needs no hook into the delivery code.
/// </summary>
internal sealed class ProgressReporter : ILoggerProvider, ILogger
{
    private readonly TextWriter _error;
    private readonly TimeProvider _time;
    private readonly TimeSpan _silence;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Task _watching;
    private string _waitingFor = "starting";
    private long _lastEvent;

    public ProgressReporter(TextWriter error, TimeSpan silence, TimeProvider? time = null)
    {
        _error = error;
        _time = time ?? TimeProvider.System;
        _silence = silence;
        _lastEvent = _time.GetTimestamp();
        _watching = WatchAsync();
    }

    /// <summary>What the send is waiting for now.</summary>
    public string WaitingFor
    {
        get
        {
            lock (_lock)
            {
                return _waitingFor;
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string? now = Describe(eventId.Id, state as IReadOnlyList<KeyValuePair<string, object?>>);
        if (now is null)
        {
            return;
        }
        lock (_lock)
        {
            _waitingFor = now;
            _lastEvent = _time.GetTimestamp();
        }
    }

    /// <summary>What the engine is waiting for after the event: the next thing a user would want to know.</summary>
    internal static string? Describe(int eventId, IReadOnlyList<KeyValuePair<string, object?>>? state)
    {
        string Value(string key) => state?.FirstOrDefault(p => p.Key == key).Value?.ToString() ?? "?";
        return eventId switch
        {
            4004 => $"looking up the mail exchangers of {Value("Domain")}",
            4102 => $"connecting to {Value("Peer")}",
            4103 => $"the greeting of {Value("Peer")}",
            4100 when Value("Direction") == "C" => $"{Value("Peer")} to answer \"{Value("Line")}\"",
            4100 => $"{Value("Peer")} to continue",
            4101 => $"{Value("Peer")} after the TLS handshake",
            _ => null,
        };
    }

    private async Task WatchAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
            long reported = 0;
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                string waitingFor;
                long last;
                lock (_lock)
                {
                    waitingFor = _waitingFor;
                    last = _lastEvent;
                }
                TimeSpan quiet = _time.GetElapsedTime(last);
                // Report once per silent stretch, then every further stretch of the same length.
                if (quiet >= _silence && _time.GetElapsedTime(Math.Max(last, reported)) >= _silence)
                {
                    reported = _time.GetTimestamp();
                    _error.WriteLine($"mailbroker: waiting {quiet.TotalSeconds:0} s for {waitingFor}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _watching.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
