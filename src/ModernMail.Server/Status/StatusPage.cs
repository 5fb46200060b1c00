using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Server.Events;
using ModernMail.Server.Http;

namespace ModernMail.Server.Status;

/// <summary>The status page's HTML: every value from the store goes through <see cref="HtmlEncoder"/> (recipients and replies come from
/// strangers); no inline script or style, so the page works under <see cref="StatusEndpoints.ContentSecurityPolicy"/>.</summary>
internal static class StatusPage
{
    private static readonly HtmlEncoder s_html = HtmlEncoder.Default;

    /// <summary>What one page shows.</summary>
    public sealed record Model(DateTimeOffset Now, QueueDepthSample? Depth, IReadOnlyList<QueueDepthSample> History, IReadOnlyList<OutcomeCount> Outcomes,
        DomainBacklogList Destinations,
        IReadOnlyList<QueueEvent> Events, QueueEventType? EventType, string? EventMessageId, string? Search, IReadOnlyList<MessageStatus>? Found)
    {
        /// <summary>The traffic-shaping destinations of this node, live (the same as GET /v1/destinations).</summary>
        public IReadOnlyList<Delivery.Shaping.DestinationStatus> Shaping { get; init; } = [];

        /// <summary>Whether the server runs in capture mode (nothing is sent; the captured messages are at /captured).</summary>
        public bool Capture { get; init; }
    }

    public static string Render(Model model)
    {
        var html = new StringBuilder(16 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mailbroker status</title>")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<link rel=\"stylesheet\" href=\"").Append(StatusEndpoints.CssPath).Append("\">")
            .Append("<script src=\"").Append(StatusEndpoints.ScriptPath).Append("\" defer></script></head><body>")
            .Append("<header><h1>mailbroker status</h1><p class=\"muted\">Read-only. Rendered ").Append(Time(model.Now))
            .Append(" UTC; the queue depth refreshes every 30 s.</p>");
        if (model.Capture)
        {
            html.Append("<p id=\"capture\"><strong>Capture mode: nothing is sent.</strong> <a href=\"/captured\">Captured messages</a></p>");
        }
        html.Append("</header>");
        Depth(html, model);
        Outcomes(html, model.Outcomes);
        Destinations(html, model.Destinations);
        Shaping(html, model);
        Events(html, model);
        Search(html, model);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>The page a browser gets instead of the status page when <see cref="OperatorAccess"/> refuses it.</summary>
    public static string Refusal(int status, string detail) =>
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mailbroker status: access refused</title>" +
        "<link rel=\"stylesheet\" href=\"" + StatusEndpoints.CssPath + "\"></head><body><h1>Access refused (" + status.ToString(CultureInfo.InvariantCulture) + ")</h1>" +
        "<p>" + s_html.Encode(detail) + "</p>" +
        "<p>The status page is open without a key on a loopback listener only. From your machine, tunnel to the server and open it there:</p>" +
        "<pre>ssh -L 8025:127.0.0.1:8025 mailbroker-host\n# then open http://127.0.0.1:8025/</pre>" +
        "<p>Elsewhere every request needs <code>Authorization: Bearer &lt;API key&gt;</code> with a key that has no domain list " +
        "(for example added by an authenticating proxy); the JSON behind this page is at <code>/v1/status/...</code>.</p></body></html>\n";

    private static void Depth(StringBuilder html, Model model)
    {
        html.Append("<section id=\"depth\"><h2>Queue depth</h2>");
        if (model.Depth is not { } now)
        {
            html.Append("<p id=\"depth-unknown\">The queue store does not report its depth (no running worker, or a store that cannot count).</p></section>");
            return;
        }
        html.Append("<table class=\"counts\"><thead><tr><th>Queued</th><th>Delivering</th><th>Deferred</th></tr></thead><tbody><tr>")
            .Append("<td id=\"depth-queued\" class=\"queued\">").Append(Number(now.Queued)).Append("</td>")
            .Append("<td id=\"depth-delivering\" class=\"delivering\">").Append(Number(now.Delivering)).Append("</td>")
            .Append("<td id=\"depth-deferred\" class=\"deferred\">").Append(Number(now.Deferred)).Append("</td>")
            .Append("</tr></tbody></table>");
        html.Append("<p class=\"muted\">Recipients not yet final, sampled every ").Append(Number((long)QueueDepthHistory.Interval.TotalSeconds))
            .Append(" s over the last hour (since this server started). Queued, delivering, deferred:</p>");
        // The chart ends at the current count, so a server that just started shows a line too.
        Chart(html, model.Now, [.. model.History, now]);
        html.Append("</section>");
    }

    /// <summary>An inline SVG: one polyline per state over the last hour, scaled to the largest count.</summary>
    private static void Chart(StringBuilder html, DateTimeOffset now, IReadOnlyList<QueueDepthSample> samples)
    {
        const int Width = 720, Height = 160;
        DateTimeOffset start = now - TimeSpan.FromHours(1);
        long max = 1;
        foreach (var s in samples)
        {
            max = Math.Max(max, Math.Max(s.Queued, Math.Max(s.Delivering, s.Deferred)));
        }
        html.Append("<svg id=\"depth-chart\" role=\"img\" aria-label=\"Queue depth over the last hour\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height + 20)
            .Append("\" width=\"").Append(Width).Append("\" height=\"").Append(Height + 20).Append("\" data-max=\"").Append(Number(max)).Append("\">")
            .Append("<rect class=\"frame\" x=\"0\" y=\"0\" width=\"").Append(Width).Append("\" height=\"").Append(Height).Append("\"/>")
            .Append("<text x=\"4\" y=\"14\">").Append(Number(max)).Append("</text>")
            .Append("<text x=\"4\" y=\"").Append(Height + 16).Append("\">-60 min</text>")
            .Append("<text x=\"").Append(Width - 30).Append("\" y=\"").Append(Height + 16).Append("\">now</text>");
        foreach (var (name, value) in (ReadOnlySpan<(string, Func<QueueDepthSample, long>)>)[("queued", s => s.Queued), ("delivering", s => s.Delivering), ("deferred", s => s.Deferred)])
        {
            html.Append("<polyline class=\"").Append(name).Append("\" points=\"");
            foreach (var s in samples)
            {
                double x = Math.Clamp((s.At - start).TotalSeconds / 3600.0, 0, 1) * Width;
                double y = Height - (double)value(s) / max * (Height - 20);
                html.Append(x.ToString("0.#", CultureInfo.InvariantCulture)).Append(',').Append(y.ToString("0.#", CultureInfo.InvariantCulture)).Append(' ');
            }
            html.Append("\"/>");
        }
        html.Append("</svg>");
    }

    private static void Outcomes(StringBuilder html, IReadOnlyList<OutcomeCount> outcomes)
    {
        html.Append("<section><h2>Last hour</h2><table id=\"outcomes\" class=\"counts\"><thead><tr>");
        foreach (var o in outcomes)
        {
            html.Append("<th>").Append(o.Type).Append("</th>");
        }
        html.Append("</tr></thead><tbody><tr>");
        foreach (var o in outcomes)
        {
            html.Append("<td id=\"outcome-").Append(o.Type).Append("\" class=\"").Append(o.Type).Append("\">").Append(Number(o.Count)).Append(o.AtLeast ? "+" : "").Append("</td>");
        }
        html.Append("</tr></tbody></table></section>");
    }

    private static void Destinations(StringBuilder html, DomainBacklogList list)
    {
        html.Append("<section><h2>Destinations</h2>");
        if (list.Destinations.Count == 0)
        {
            html.Append("<p id=\"destinations-empty\">Nothing pending.</p></section>");
            return;
        }
        html.Append("<table id=\"destinations\"><thead><tr><th>Domain</th><th>Provider</th><th>Queued</th><th>Delivering</th><th>Deferred</th>")
            .Append("<th>Deferrals</th><th>Last error</th></tr></thead><tbody>");
        foreach (var d in list.Destinations)
        {
            html.Append("<tr data-domain=\"").Append(s_html.Encode(d.Domain)).Append("\"><td>").Append(s_html.Encode(d.Domain)).Append("</td><td>")
                .Append(s_html.Encode(d.Provider)).Append("</td><td class=\"queued\">").Append(Number(d.Queued)).Append("</td><td class=\"delivering\">")
                .Append(Number(d.Delivering)).Append("</td><td class=\"deferred\">").Append(Number(d.Deferred)).Append("</td><td class=\"deferrals\">")
                .Append(Number(d.Deferrals)).Append("</td><td class=\"reply\">");
            if (d.LastError is { } error)
            {
                html.Append(s_html.Encode(error)).Append(" <span class=\"muted\">").Append(Time(d.LastErrorAt)).Append("</span>");
            }
            html.Append("</td></tr>");
        }
        html.Append("</tbody></table>");
        if (list.Truncated)
        {
            html.Append("<p class=\"muted\">Counted over the oldest ").Append(Number(StatusReader.DestinationScanLimit)).Append(" pending messages only.</p>");
        }
        html.Append("</section>");
    }

    /// <summary>Per shaping destination (a provider or rule): live connections against the limit, waiting deliveries, back-off,
    /// suspension and the last throttling reply.</summary>
    private static void Shaping(StringBuilder html, Model model)
    {
        html.Append("<section><h2>Traffic shaping</h2>");
        if (model.Shaping.Count == 0)
        {
            html.Append("<p id=\"shaping-empty\">No shaped destination has been used since start.</p></section>");
            return;
        }
        html.Append("<table id=\"shaping\"><thead><tr><th>Destination</th><th>Connections</th><th>Waiting</th><th>Limits</th><th>Suspended until (UTC)</th>")
            .Append("<th>Delivered</th><th>Throttled</th><th>Last throttling reply</th></tr></thead><tbody>");
        foreach (var d in model.Shaping)
        {
            string limit = d.EffectiveMaxConnections is int max ? " / " + Number(max) : "";
            html.Append("<tr data-destination=\"").Append(s_html.Encode(d.Name)).Append("\"><td>").Append(s_html.Encode(d.Name)).Append("</td><td class=\"connections\">")
                .Append(Number(d.Connections)).Append(limit).Append("</td><td>").Append(Number(d.Waiting)).Append("</td><td class=\"factor\">")
                .Append(d.Factor >= 1 ? "full" : (d.Factor * 100).ToString("0", CultureInfo.InvariantCulture) + " %").Append("</td><td class=\"suspended\">")
                .Append(Time(d.SuspendedUntil)).Append("</td><td>").Append(Number(d.Delivered)).Append("</td><td>").Append(Number(d.Throttled))
                .Append("</td><td class=\"reply\">").Append(s_html.Encode(d.LastError ?? "")).Append("</td></tr>");
        }
        html.Append("</tbody></table></section>");
    }

    private static void Events(StringBuilder html, Model model)
    {
        html.Append("<section><h2>Last events</h2><form id=\"event-filter\" method=\"get\" action=\"/\"><label>Type <select name=\"type\"><option value=\"\">any</option>");
        foreach (var type in Enum.GetValues<QueueEventType>())
        {
            string name = EventJson.TypeName(type);
            html.Append("<option value=\"").Append(name).Append('"').Append(model.EventType == type ? " selected" : "").Append('>').Append(name).Append("</option>");
        }
        html.Append("</select></label> <label>Message id <input name=\"message\" size=\"38\" value=\"").Append(s_html.Encode(model.EventMessageId ?? ""))
            .Append("\"></label> <button type=\"submit\">Filter</button></form>");
        if (model.Events.Count == 0)
        {
            html.Append("<p id=\"events-empty\">No events.</p></section>");
            return;
        }
        html.Append("<table id=\"events\"><thead><tr><th>Time (UTC)</th><th>Type</th><th>Recipient</th><th>Message</th><th>Category</th><th>Reply</th><th>MX</th></tr></thead><tbody>");
        // Newest first, as a person reads a log tail.
        for (int i = model.Events.Count - 1; i >= 0; i--)
        {
            var e = model.Events[i];
            html.Append("<tr class=\"").Append(EventJson.TypeName(e.Type)).Append("\"><td>").Append(Time(e.At)).Append("</td><td class=\"type\">")
                .Append(EventJson.TypeName(e.Type)).Append("</td><td class=\"recipient\">").Append(s_html.Encode(e.Recipient)).Append("</td><td>");
            SearchLink(html, e.MessageId);
            html.Append("</td><td>").Append(e.Category == BounceCategory.None ? "" : e.Category.ToString()).Append("</td><td class=\"reply\">")
                .Append(s_html.Encode(e.Reply ?? "")).Append("</td><td>").Append(s_html.Encode(e.MxHost ?? "")).Append("</td></tr>");
        }
        html.Append("</tbody></table></section>");
    }

    private static void Search(StringBuilder html, Model model)
    {
        html.Append("<section><h2>Search</h2><form id=\"search\" method=\"get\" action=\"/\"><label>Recipient or message id <input name=\"q\" size=\"40\" value=\"")
            .Append(s_html.Encode(model.Search ?? "")).Append("\"></label> <button type=\"submit\">Search</button></form>");
        if (model.Found is not { } found)
        {
            html.Append("</section>");
            return;
        }
        html.Append("<div id=\"search-results\">");
        if (found.Count == 0)
        {
            html.Append("<p id=\"search-empty\">No message with that id or recipient.</p>");
        }
        foreach (var message in found)
        {
            html.Append("<article class=\"message\" data-id=\"").Append(s_html.Encode(message.Id)).Append("\"><h3>").Append(s_html.Encode(message.Id))
                .Append(" <span class=\"status\">").Append(s_html.Encode(message.Status)).Append("</span></h3><p>From ")
                .Append(s_html.Encode(message.From ?? "<>")).Append(", queued ").Append(Time(message.CreatedAt)).Append(" UTC, ")
                .Append(Number(message.Size)).Append(" bytes</p>");
            foreach (var recipient in message.Recipients)
            {
                html.Append("<div class=\"recipient\" data-email=\"").Append(s_html.Encode(recipient.Email)).Append("\"><h4>")
                    .Append(s_html.Encode(recipient.Email)).Append(": <span class=\"status\">").Append(s_html.Encode(recipient.Status)).Append("</span>, ")
                    .Append(Number(recipient.Attempts)).Append(recipient.Attempts == 1 ? " attempt" : " attempts").Append("</h4>");
                if (recipient.History is { Count: > 0 } history)
                {
                    html.Append("<table class=\"attempts\"><thead><tr><th>#</th><th>Time (UTC)</th><th>Result</th><th>MX</th><th>TLS</th><th>Reply</th></tr></thead><tbody>");
                    foreach (var attempt in history)
                    {
                        html.Append("<tr class=\"attempt\"><td>").Append(Number(attempt.Number)).Append("</td><td>").Append(Time(attempt.At)).Append("</td><td class=\"status\">")
                            .Append(s_html.Encode(attempt.Status)).Append("</td><td>").Append(s_html.Encode(attempt.Mx ?? "")).Append("</td><td>")
                            .Append(s_html.Encode(attempt.Tls ?? "none")).Append("</td><td class=\"reply\">").Append(s_html.Encode(attempt.Reply ?? "")).Append("</td></tr>");
                    }
                    html.Append("</tbody></table>");
                }
                html.Append("</div>");
            }
            html.Append("</article>");
        }
        html.Append("</div></section>");
    }

    private static void SearchLink(StringBuilder html, string id) =>
        html.Append("<a href=\"/?q=").Append(s_html.Encode(Uri.EscapeDataString(id))).Append("\">").Append(s_html.Encode(id)).Append("</a>");

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";
}
