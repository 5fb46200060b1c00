using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Queue;
using ModernMail.Server.Http;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Events;

/// <summary>GET /v1/events: every recipient state change in commit order, paged by cursor.</summary>
internal static class EventEndpoints
{
    public const int MaxLimit = 1000;

    /// <summary>How many events one request reads, at most, looking for ones the key may see.</summary>
    private const int ScanLimit = 10_000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>()
            .MapGet("/events", GetAsync)
            .WithName("ListEvents")
            .WithSummary("Events (queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained) after since=CURSOR, oldest first; type= and limit= filter. Continue with the answer's cursor.")
            .ProducesProblem(400).ProducesProblem(401);
    }

    private static async Task<IResult> GetAsync(HttpContext context, SubmissionQueue queues)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        var query = context.Request.Query;
        QueueEventType? type = null;
        if (query["type"].ToString() is { Length: > 0 } typeText)
        {
            type = EventJson.ParseType(typeText);
            if (type is null)
            {
                return ApiOutcome.Problem(new ApiProblem(400, "Bad query",
                    "type is one of queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained.", "type"));
            }
        }
        int limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", $"limit is 1 to {MaxLimit}.", "limit"));
        }
        string? cursor = query["since"].ToString() is { Length: > 0 } since ? since : query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        string? messageId = query["messageId"].ToString() is { Length: > 0 } m ? m : null;

        var page = new List<QueueEvent>(Math.Min(limit, 64));
        string? after = cursor;
        try
        {
            for (int scanned = 0; page.Count < limit && scanned < ScanLimit;)
            {
                var batch = await queues.WorkerQueue.Store.ReadEventsAsync(new EventQuery { After = after, Type = type, MessageId = messageId, Limit = limit }, context.RequestAborted)
                    .ConfigureAwait(false);
                foreach (var e in batch)
                {
                    after = e.Cursor;
                    // A key limited to sender domains sees only their events (and nothing of mail without a sender domain).
                    if (key.Domains.Count == 0 || (e.SenderDomain is { } domain && key.AllowsDomain(domain)))
                    {
                        page.Add(e);
                        if (page.Count == limit)
                        {
                            break;
                        }
                    }
                }
                scanned += batch.Count;
                if (batch.Count < limit)
                {
                    break;
                }
            }
        }
        catch (ArgumentException)
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", "since is not a cursor this server issued (use the cursor of a previous answer, or leave it out).", "since"));
        }
        using var buffer = new MemoryStream();
        var json = new Utf8JsonWriter(buffer);
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WritePropertyName("events");
            json.WriteStartArray();
            foreach (var e in page)
            {
                EventJson.Write(json, e);
            }
            json.WriteEndArray();
            // Always a cursor to poll from: the last event read (seen or skipped), or the one given.
            if (after is null)
            {
                json.WriteNull("cursor");
            }
            else
            {
                json.WriteString("cursor", after);
            }
            json.WriteEndObject();
        }
        return Results.Bytes(buffer.ToArray(), "application/json");
    }
}
