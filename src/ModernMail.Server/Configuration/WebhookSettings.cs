namespace ModernMail.Server.Configuration;

/// <summary>One webhook endpoint: every event (or the types listed) is POSTed to <see cref="Url"/> as JSON, signed with <see cref="Secret"/>.</summary>
/// <remarks>Delivery is at least once and in event order; a receiver that is down or answers an error is retried with backoff for
/// <see cref="RetryFor"/>, then that event is skipped (and logged). Receivers de-duplicate by the event's "id".</remarks>
public sealed class WebhookSettings
{
    /// <summary>The absolute http or https URL that receives the POSTs; it also names the endpoint's place in the event stream.</summary>
    public string Url { get; set; } = "";

    /// <summary>The shared secret of the <c>ModernMail-Signature</c> HMAC (at least 16 characters).</summary>
    public string Secret { get; set; } = "";

    /// <summary>The event types to send ("delivered", "bounced", ...); empty for all.</summary>
    public IList<string> Events { get; set; } = new List<string>();

    /// <summary>How long one POST may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an event that keeps failing is retried before it is skipped.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The longest wait between two attempts at one event (the wait doubles from one second up to this).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);
}
