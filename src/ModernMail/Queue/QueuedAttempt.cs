using System;
using ModernMail.Tls;

namespace ModernMail.Queue;

/// <summary>One finished delivery attempt for one recipient, as the queue keeps it for status pages and the API.</summary>
/// <param name="Number">1 for the first attempt.</param>
/// <param name="At">When the attempt finished.</param>
/// <param name="State">What the attempt left the recipient in (delivered, deferred, bounced or expired).</param>
/// <param name="MxHost">The mail exchanger that answered, if one was reached.</param>
/// <param name="Tls">The TLS protocol and cipher ("Tls13 TLS_AES_256_GCM_SHA384"), or null for clear text or no connection.</param>
/// <param name="TlsPolicy">The recipient domain's TLS policy that applied.</param>
/// <param name="Reply">The server reply or error text.</param>
public sealed record QueuedAttempt(int Number, DateTimeOffset At, RecipientState State, string? MxHost, string? Tls, AppliedTlsPolicy TlsPolicy, string? Reply);
