using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Server.Status;

namespace ModernMail.Server.Capture;

/// <summary>Capture mode's pages (like Mailpit or smtp4dev): <c>/captured</c> lists the stored messages, <c>/captured/{id}</c>
/// shows one, <c>/captured/{id}/html</c> is its HTML part for a sandboxed frame. Same access as the status page.</summary>
internal static class CaptureEndpoints
{
    private const int ListLimit = 100;

    /// <summary>The HTML part runs in no origin (sandbox), with no script, no network (images inline as data: only), no forms.</summary>
    private const string HtmlPartPolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'";

    private static readonly HtmlEncoder s_html = HtmlEncoder.Default;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/captured", ListAsync).ExcludeFromDescription();
        routes.MapGet("/captured/{id}", ShowAsync).ExcludeFromDescription();
        routes.MapGet("/captured/{id}/html", HtmlPartAsync).ExcludeFromDescription();
    }

    private static async Task ListAsync(HttpContext context, CaptureView view)
    {
        if (!await AllowedAsync(context).ConfigureAwait(false))
        {
            return;
        }
        var messages = await view.ListAsync(ListLimit, context.RequestAborted).ConfigureAwait(false);
        var html = Start("Captured messages");
        html.Append("<p class=\"muted\">Capture mode: messages are accepted, signed and recorded as in production, and never sent. ")
            .Append("The newest ").Append(CaptureTransport.MaxKept.ToString(CultureInfo.InvariantCulture)).Append(" are kept.</p>")
            .Append("<table id=\"captured\"><thead><tr><th>Captured (UTC)</th><th>From</th><th>To</th><th>Subject</th><th>Size</th></tr></thead><tbody>");
        foreach (var m in messages)
        {
            html.Append("<tr><td><a href=\"/captured/").Append(s_html.Encode(m.Id)).Append("\">")
                .Append(m.Envelope.CapturedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append("</a></td><td>")
                .Append(s_html.Encode(m.Envelope.Sender ?? "<>")).Append("</td><td>").Append(s_html.Encode(string.Join(", ", m.Envelope.Recipients)))
                .Append("</td><td>").Append(s_html.Encode(m.Subject ?? "")).Append("</td><td>").Append(m.Size.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
        }
        html.Append("</tbody></table></body></html>\n");
        await StatusEndpoints.Html(context, 200, html.ToString()).ConfigureAwait(false);
    }

    private static async Task ShowAsync(HttpContext context, string id, CaptureView view)
    {
        if (!await AllowedAsync(context).ConfigureAwait(false))
        {
            return;
        }
        if (await view.ReadAsync(id, context.RequestAborted).ConfigureAwait(false) is not { } captured)
        {
            await StatusEndpoints.Html(context, 404, Start("Not found").Append("<p>No such captured message.</p></body></html>\n").ToString()).ConfigureAwait(false);
            return;
        }
        // The HTML part is framed from this server, so the page allows exactly that frame.
        context.Response.Headers.ContentSecurityPolicy = StatusEndpoints.ContentSecurityPolicy + "; frame-src 'self'";
        var m = captured.Message;
        var html = Start(m.Subject is { Length: > 0 } subject ? subject : "Captured message " + m.Id);
        html.Append("<p><a href=\"/captured\">All captured messages</a></p><h2>Envelope</h2><table id=\"envelope\"><tbody><tr><th>MAIL FROM</th><td>")
            .Append(s_html.Encode(m.Envelope.Sender ?? "<>")).Append("</td></tr>");
        foreach (var r in m.Envelope.Recipients)
        {
            html.Append("<tr><th>RCPT TO</th><td>").Append(s_html.Encode(r)).Append("</td></tr>");
        }
        html.Append("</tbody></table><h2>DKIM</h2><ul id=\"dkim\">");
        foreach (var d in captured.Dkim)
        {
            html.Append("<li class=\"").Append(d.Status.ToString().ToLowerInvariant()).Append("\">").Append(s_html.Encode(d.ToString())).Append("</li>");
        }
        html.Append("</ul><h2>Header fields</h2><table id=\"headers\"><tbody>");
        foreach (var (name, value) in captured.Headers)
        {
            html.Append("<tr><th>").Append(s_html.Encode(name)).Append("</th><td>").Append(s_html.Encode(value)).Append("</td></tr>");
        }
        html.Append("</tbody></table>");
        if (captured.Text is { } text)
        {
            html.Append("<h2>Text</h2><pre id=\"text\">").Append(s_html.Encode(text)).Append("</pre>");
        }
        if (captured.Html is not null)
        {
            html.Append("<h2>HTML</h2><iframe id=\"html\" sandbox=\"\" referrerpolicy=\"no-referrer\" src=\"/captured/").Append(s_html.Encode(m.Id))
                .Append("/html\" title=\"HTML part\"></iframe>");
        }
        if (captured.Attachments.Count > 0)
        {
            html.Append("<h2>Attachments</h2><table id=\"attachments\"><tbody>");
            foreach (var a in captured.Attachments)
            {
                html.Append("<tr><td>").Append(s_html.Encode(a.FileName ?? "(no name)")).Append("</td><td>").Append(s_html.Encode(a.ContentType))
                    .Append("</td><td>").Append(a.Size.ToString(CultureInfo.InvariantCulture)).Append(" bytes encoded</td></tr>");
            }
            html.Append("</tbody></table>");
        }
        html.Append("<h2>SMTP it would have sent</h2><pre id=\"transcript\">").Append(s_html.Encode(string.Join('\n', captured.Transcript))).Append("</pre></body></html>\n");
        await StatusEndpoints.Html(context, 200, html.ToString()).ConfigureAwait(false);
    }

    private static async Task HtmlPartAsync(HttpContext context, string id, CaptureView view)
    {
        if (!await AllowedAsync(context).ConfigureAwait(false))
        {
            return;
        }
        if (await view.ReadHtmlAsync(id, context.RequestAborted).ConfigureAwait(false) is not { } part)
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.Headers.ContentSecurityPolicy = HtmlPartPolicy;
        context.Response.Headers.XFrameOptions = "SAMEORIGIN";
        await StatusEndpoints.Html(context, 200, part).ConfigureAwait(false);
    }

    /// <summary>The status page's access rule and headers; false when the refusal has been written.</summary>
    private static async Task<bool> AllowedAsync(HttpContext context)
    {
        StatusEndpoints.Secure(context);
        if (await OperatorAccess.CheckAsync(context, "the captured messages").ConfigureAwait(false) is { } refusal)
        {
            await StatusEndpoints.Html(context, refusal.Status, StatusPage.Refusal(refusal.Status, "the captured messages need loopback or a key without domain limits"))
                .ConfigureAwait(false);
            return false;
        }
        return true;
    }

    private static StringBuilder Start(string title) => new StringBuilder(8 * 1024)
        .Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(s_html.Encode(title)).Append("</title>")
        .Append("<link rel=\"stylesheet\" href=\"").Append(StatusEndpoints.CssPath).Append("\"></head><body><h1>").Append(s_html.Encode(title)).Append("</h1>");
}
