using System;

namespace ModernMail;

/// <summary>Composes, signs and delivers messages straight to the recipients' mail exchangers.</summary>
public sealed class MailBroker : IDisposable
{
    private readonly BrokerConfig _config;
    private bool _disposed;

    /// <summary>Creates a broker with the given configuration.</summary>
    public MailBroker(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
    }

    /// <summary>The configuration this broker was created with.</summary>
    public BrokerConfig Config => _config;

    /// <summary>Closes pooled connections.</summary>
    public void Dispose() => _disposed = true;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
