using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using ModernMail.Delivery;
using ModernMail.Queue;

namespace ModernMail.Diagnostics;

/// <summary>The one <see cref="Meter"/> and <see cref="ActivitySource"/> named "ModernMail", and the instruments every
/// stage of the pipeline records to (names, units and tags as listed in docs/telemetry.md).</summary>
/// <remarks>
/// OpenTelemetry conventions: lower-case dotted names under <c>modernmail.</c>, UCUM units, durations in seconds.
/// Tags are bounded: recipient domains roll up to a provider (<see cref="ProviderRollup"/>), never an address.
/// Every recording method checks <see cref="Instrument.Enabled"/> first, so with nobody listening a recording costs one
/// field read and no tag is built.
/// </remarks>
internal static class MailTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "ModernMail";

    public const string DoorApi = "api";
    public const string DoorSmtp = "smtp";
    public const string DoorLibrary = "library";
    public const string DoorQueue = "queue";

    private static readonly string? s_version = Version(typeof(MailTelemetry).Assembly);

    public static readonly ActivitySource Source = new(Name, s_version);

    public static readonly Meter Meter = new(Name, s_version);

    public static readonly Counter<long> MessagesSubmitted = Meter.CreateCounter<long>(
        "modernmail.messages.submitted", "{message}", "Messages accepted for delivery, by the door they came in (api, smtp, library, queue).");

    public static readonly Counter<long> Recipients = Meter.CreateCounter<long>(
        "modernmail.recipients", "{recipient}", "Recipients that reached a state (delivered, deferred, bounced, expired, suppressed), by provider and bounce category.");

    public static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram(
        "modernmail.delivery.attempt.duration", "s", "How long one delivery attempt via one mail exchanger address took (connect or pooled session, TLS, the SMTP transaction).",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    public static readonly Histogram<double> DeliveryLatency = Meter.CreateHistogram(
        "modernmail.delivery.latency", "s", "Time from queueing a message to the delivery of a recipient.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400, 432000] });

    public static readonly Histogram<double> DkimSignDuration = Meter.CreateHistogram(
        "modernmail.dkim.sign.duration", "s", "How long DKIM-signing one message took (all its signatures, one pass over the body).",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });

    public static readonly Histogram<double> DnsLookupDuration = Meter.CreateHistogram(
        "modernmail.dns.lookup.duration", "s", "How long one DNS query took (cached answers included), by record type and outcome.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static readonly Counter<long> SmtpSessions = Meter.CreateCounter<long>(
        "modernmail.smtp.sessions", "{session}", "New SMTP sessions to mail exchangers, by TLS protocol (none, Tls12, Tls13) and provider.");

    private static readonly string[] s_categories = Enum.GetNames<BounceCategory>();

    /// <summary>Counts one new session to <paramref name="mxHost"/> (for <paramref name="domain"/>), with or without TLS.</summary>
    public static void SessionOpened(string? tlsProtocol, string mxHost, string domain)
    {
        if (SmtpSessions.Enabled)
        {
            SmtpSessions.Add(1, new TagList { { "tls.protocol", tlsProtocol ?? "none" }, { "provider", ProviderRollup.Of(mxHost, domain) } });
        }
    }

    /// <summary>Counts one message accepted through <paramref name="door"/> (one of the Door constants).</summary>
    public static void MessageSubmitted(string door)
    {
        if (MessagesSubmitted.Enabled)
        {
            MessagesSubmitted.Add(1, new KeyValuePair<string, object?>("door", door));
        }
    }

    /// <summary>Counts one recipient that reached <paramref name="state"/>; the provider is rolled up from <paramref name="mxHost"/> and <paramref name="address"/>.</summary>
    public static void RecipientReached(RecipientState state, string? mxHost, string address, BounceCategory category)
    {
        if (!Recipients.Enabled || OutcomeOf(state) is not { } outcome)
        {
            return;
        }
        var tags = new TagList
        {
            { "outcome", outcome },
            { "provider", ProviderRollup.Of(mxHost, DomainOf(address)) },
            { "category", CategoryName(category) },
        };
        Recipients.Add(1, tags);
    }

    /// <summary>Records the time from queueing to delivery of one recipient.</summary>
    public static void Delivered(TimeSpan latency, string? mxHost, string address)
    {
        if (DeliveryLatency.Enabled)
        {
            DeliveryLatency.Record(Math.Max(0, latency.TotalSeconds), new KeyValuePair<string, object?>("provider", ProviderRollup.Of(mxHost, DomainOf(address))));
        }
    }

    /// <summary>The outcome tag for a state a recipient can reach, or null for the transitional ones (queued, delivering).</summary>
    public static string? OutcomeOf(RecipientState state) => state switch
    {
        RecipientState.Delivered => "delivered",
        RecipientState.Deferred => "deferred",
        RecipientState.Bounced => "bounced",
        RecipientState.Expired => "expired",
        RecipientState.Suppressed => "suppressed",
        _ => null,
    };

    /// <summary>The enum name of <paramref name="category"/> without allocating.</summary>
    public static string CategoryName(BounceCategory category) =>
        (uint)category < (uint)s_categories.Length ? s_categories[(int)category] : nameof(BounceCategory.Other);

    /// <summary>Seconds since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>).</summary>
    public static double SecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    /// <summary>Marks <paramref name="activity"/> failed with a short description (no addresses: spans may leave the host).</summary>
    public static void Fail(Activity? activity, string description)
    {
        activity?.SetStatus(ActivityStatusCode.Error, description);
    }

    /// <summary>Starts the span of a submission through <paramref name="door"/>; null when nobody listens.</summary>
    public static Activity? StartSubmit(string door)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity("submit", ActivityKind.Internal);
        activity?.SetTag("modernmail.door", door);
        return activity;
    }

    private static string DomainOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..];
    }

    private static string? Version(Assembly assembly)
    {
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        // "1.2.3+commit": the commit would make every build a new meter version.
        int plus = version?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        return plus > 0 ? version![..plus] : version ?? assembly.GetName().Version?.ToString();
    }
}
