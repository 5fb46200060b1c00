using System;
using Microsoft.Extensions.Logging;

namespace ModernMail.Dkim;

/// <summary>How a <see cref="DkimSigner"/> runs: its clock, its logger and its input limits.</summary>
public sealed class DkimSignerOptions
{
    /// <summary>The default cap on the header block: 1 MiB.</summary>
    public const int DefaultMaxHeaderBytes = 1024 * 1024;

    /// <summary>The clock for t= and x=.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where warnings (a From domain not aligned with d=) are logged; null logs nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The largest header block the signer reads before giving up with a <see cref="DkimException"/>.</summary>
    public int MaxHeaderBytes { get; set; } = DefaultMaxHeaderBytes;
}
