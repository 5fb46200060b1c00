using Microsoft.Extensions.Logging;

namespace ModernMail.Tests.Delivery;

/// <summary>Collects log lines with their level and category.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public List<(string Category, LogLevel Level, string Message)> Lines { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Lines)
            {
                owner.Lines.Add((category, logLevel, formatter(state, exception)));
            }
        }
    }
}
