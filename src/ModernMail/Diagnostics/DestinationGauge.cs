using System.Diagnostics.Metrics;
using ModernMail.Delivery.Shaping;

namespace ModernMail.Diagnostics;

/// <summary>The observable gauges <c>modernmail.destination.connections</c> and <c>modernmail.destination.waiting</c>: open
/// connections and deliveries waiting for one (the ready queue), per traffic-shaping destination of every live transport.</summary>
/// <remarks>Cardinality is bounded: a destination of a rule is labelled by the rule's name (a source address adds nothing),
/// every destination of the default rule (one per MX host set) is summed under "default".</remarks>
internal static class DestinationGauge
{
    private static readonly Lock s_lock = new();
    private static readonly List<Func<IReadOnlyList<DestinationStatus>>> s_sources = [];

    public static readonly ObservableGauge<long> Connections = MailTelemetry.Meter.CreateObservableGauge(
        "modernmail.destination.connections", () => Observe(d => d.Connections), "{connection}",
        "SMTP connections open now (in use or idle) per traffic-shaping destination.");

    public static readonly ObservableGauge<long> Waiting = MailTelemetry.Meter.CreateObservableGauge(
        "modernmail.destination.waiting", () => Observe(d => d.Waiting), "{delivery}",
        "Deliveries waiting for one of the destination's connections (its ready queue).");

    /// <summary>Adds a transport's destinations to the gauges until the registration is disposed.</summary>
    public static IDisposable Register(Func<IReadOnlyList<DestinationStatus>> destinations)
    {
        lock (s_lock)
        {
            s_sources.Add(destinations);
        }
        return new Registration(destinations);
    }

    /// <summary>The label of a destination: its rule's name, or "default".</summary>
    internal static string LabelOf(string destination)
    {
        if (destination.StartsWith("default:", StringComparison.Ordinal))
        {
            return "default";
        }
        int at = destination.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? destination : destination[..at];
    }

    private static IEnumerable<Measurement<long>> Observe(Func<DestinationStatus, int> value)
    {
        Func<IReadOnlyList<DestinationStatus>>[] sources;
        lock (s_lock)
        {
            sources = [.. s_sources];
        }
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var destination in source())
            {
                string label = LabelOf(destination.Name);
                sums[label] = sums.GetValueOrDefault(label) + value(destination);
            }
        }
        return sums.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("destination", s.Key)));
    }

    private sealed class Registration(Func<IReadOnlyList<DestinationStatus>> destinations) : IDisposable
    {
        public void Dispose()
        {
            lock (s_lock)
            {
                s_sources.Remove(destinations);
            }
        }
    }
}
