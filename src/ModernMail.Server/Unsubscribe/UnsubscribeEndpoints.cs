using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Queue;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Unsubscribe;

/// <summary>The one-click unsubscribe URL (RFC 8058), without authentication: the token alone proves the link is ours.
/// POST with "List-Unsubscribe=One-Click" unsubscribes (mailbox providers do this); GET only shows a page with a button, so a link
/// scanner that follows every URL in a message never unsubscribes anyone.</summary>
internal static class UnsubscribeEndpoints
{
    private const int MaxBodyBytes = 4096;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/u/{token}", GetAsync).ExcludeFromDescription();
        routes.MapPost("/u/{token}", PostAsync).ExcludeFromDescription();
    }

    private static async Task GetAsync(HttpContext context, string token, SubmissionQueue queues, UnsubscribeLinks links)
    {
        var target = await FindAsync(token, queues.WorkerQueue.Store, links, context.RequestAborted).ConfigureAwait(false);
        if (target is null)
        {
            await PageAsync(context, 404, "Link not valid", "<p>This unsubscribe link is not valid. Copy the whole link from the message.</p>").ConfigureAwait(false);
            return;
        }
        string address = WebUtility.HtmlEncode(target.Recipient);
        string domain = WebUtility.HtmlEncode(target.SenderDomain);
        await PageAsync(context, 200, "Unsubscribe",
            $"<p>Stop mail from <b>{domain}</b> to <b>{address}</b>?</p>" +
            "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>").ConfigureAwait(false);
    }

    private static async Task PostAsync(HttpContext context, string token, SubmissionQueue queues, UnsubscribeLinks links, TimeProvider time)
    {
        string body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (!IsOneClick(body))
        {
            await PageAsync(context, 400, "Not an unsubscribe request", "<p>The request body must be List-Unsubscribe=One-Click (RFC 8058).</p>").ConfigureAwait(false);
            return;
        }
        var store = queues.WorkerQueue.Store;
        var target = await FindAsync(token, store, links, context.RequestAborted).ConfigureAwait(false);
        if (target is null)
        {
            await PageAsync(context, 404, "Link not valid", "<p>This unsubscribe link is not valid.</p>").ConfigureAwait(false);
            return;
        }
        var existing = await store.ListSuppressionsAsync(new SuppressionQuery { Address = target.Recipient, Scope = target.SenderDomain, Limit = 1 }, context.RequestAborted)
            .ConfigureAwait(false);
        if (existing.Count == 0)
        {
            // Not already on the list (a second click, or a provider's retry, records nothing again).
            await store.RecordFeedbackAsync(new RecipientFeedback(target.MessageId, 0, QueueEventType.Unsubscribed, time.GetUtcNow()) { Detail = "one-click" },
                CancellationToken.None).ConfigureAwait(false);
        }
        await PageAsync(context, 200, "Unsubscribed",
            $"<p><b>{WebUtility.HtmlEncode(target.Recipient)}</b> will get no more mail from <b>{WebUtility.HtmlEncode(target.SenderDomain)}</b>.</p>").ConfigureAwait(false);
    }

    private sealed record Target(string MessageId, string Recipient, string SenderDomain);

    /// <summary>The copy and recipient the token was made for; null when it is not a token of this server (any character changed).</summary>
    private static async Task<Target?> FindAsync(string token, IQueueStore store, UnsubscribeLinks links, CancellationToken cancellationToken)
    {
        if (token.Length > 128 || UnsubscribeTokens.MessageIdOf(token) is not { } id)
        {
            return null;
        }
        var message = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (message is not { Recipients.Count: 1 })
        {
            return null; // Only copies made for one recipient carry tokens.
        }
        var first = await store.ReadEventsAsync(new EventQuery { MessageId = id, Limit = 1 }, cancellationToken).ConfigureAwait(false);
        if (first is not [{ SenderDomain: { } domain }])
        {
            return null;
        }
        string recipient = message.Recipients[0].Address;
        return links.Tokens.Verify(token, recipient, domain) ? new Target(id, recipient, domain) : null;
    }

    private static bool IsOneClick(string body)
    {
        // application/x-www-form-urlencoded (what providers send), or multipart/form-data with the same field.
        return body.Contains("List-Unsubscribe=One-Click", StringComparison.Ordinal)
            || (body.Contains("name=\"List-Unsubscribe\"", StringComparison.Ordinal) && body.Contains("One-Click", StringComparison.Ordinal));
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBodyBytes];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static async Task PageAsync(HttpContext context, int status, string title, string html)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        // The token is in the URL: keep it out of caches and Referer headers; the page runs no script.
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
        await response.WriteAsync(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
            $"<title>{title}</title><style>body{{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em}}button{{font-size:1.1em;padding:.4em 1.2em}}</style>" +
            $"</head><body><h1>{title}</h1>{html}</body></html>", context.RequestAborted).ConfigureAwait(false);
    }
}
