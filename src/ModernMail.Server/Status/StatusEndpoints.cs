using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Server.Events;
using ModernMail.Server.Http;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Status;

/// <summary>The read-only status page at <c>/</c>, its script and style, and the JSON it is built from under <c>/v1/status/...</c>,
/// all behind <see cref="OperatorAccess"/>.</summary>
/// <remarks>A browser cannot add a Bearer header by itself, so beyond loopback the page answers a plain page that says to tunnel
/// (<c>ssh -L</c>) rather than offering a login form: no second kind of credential (a session cookie) over an API that speaks plain HTTP.</remarks>
internal static class StatusEndpoints
{
    public const string ScriptPath = "/status/status.js";

    public const string CssPath = "/status/status.css";

    /// <summary>Only this server's own script and style; no inline code, no other origin, no framing, forms post back here only.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const int PageEvents = 50;

    private static readonly byte[] s_script = Resource("status.js");
    private static readonly byte[] s_css = Resource("status.css");

    /// <summary>The reader, the depth history and its sampler (after the queue worker, which registers the store with the gauge).</summary>
    public static void AddStatus(IServiceCollection services, IQueueStore store, IServerStore serverStore)
    {
        services.AddSingleton(new StatusReader(store, serverStore));
        services.AddSingleton(sp => new QueueDepthHistory(store, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<QueueDepthSampler>();
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", PageAsync).ExcludeFromDescription();
        routes.MapGet(ScriptPath, (HttpContext context) => Asset(context, s_script, "text/javascript")).ExcludeFromDescription();
        routes.MapGet(CssPath, (HttpContext context) => Asset(context, s_css, "text/css")).ExcludeFromDescription();
        var status = routes.MapGroup("/v1/status").AddEndpointFilter(async (context, next) =>
        {
            Secure(context.HttpContext);
            return await OperatorAccess.CheckAsync(context.HttpContext, "/v1/status").ConfigureAwait(false) ?? await next(context).ConfigureAwait(false);
        });
        status.MapGet("/depth", DepthAsync).WithName("StatusDepth")
            .WithSummary("Recipients not yet final by state now, and one sample per 30 s over the last hour (what the status page charts).");
        status.MapGet("/outcomes", async (StatusReader reader, TimeProvider time, HttpContext context) =>
                ApiOutcome.Json(200, new { outcomes = await reader.OutcomesAsync(time.GetUtcNow(), context.RequestAborted).ConfigureAwait(false) }))
            .WithName("StatusOutcomes").WithSummary("Delivered, deferred, bounced and expired events in the last hour (atLeast: more than could be counted).");
        status.MapGet("/destinations", async (StatusReader reader, HttpContext context) =>
                ApiOutcome.Json(200, await reader.DestinationsAsync(context.RequestAborted).ConfigureAwait(false)))
            .WithName("StatusDestinations").WithSummary("Pending recipients by recipient domain: provider, queued, delivering, deferred, deferrals, last error.");
        status.MapGet("/events", EventsAsync).WithName("StatusEvents").WithSummary("The newest events (type=, messageId=, limit= up to 1000), oldest first.");
        status.MapGet("/search", async (string? q, StatusReader reader, HttpContext context) =>
                ApiOutcome.Json(200, new { messages = await reader.SearchAsync(q ?? "", context.RequestAborted).ConfigureAwait(false) }))
            .WithName("StatusSearch").WithSummary("The message with id q, or the newest 20 messages to recipient q, each with every attempt.");
    }

    private static async Task PageAsync(HttpContext context, StatusReader reader, QueueDepthHistory history, TimeProvider time, SmtpTransport transport)
    {
        Secure(context);
        if (await OperatorAccess.CheckAsync(context, "the status page").ConfigureAwait(false) is { } refusal)
        {
            using var problem = JsonDocument.Parse(refusal.Body);
            await Html(context, refusal.Status, StatusPage.Refusal(refusal.Status, problem.RootElement.GetProperty("detail").GetString() ?? "")).ConfigureAwait(false);
            return;
        }
        var query = context.Request.Query;
        QueueEventType? type = query["type"].ToString() is { Length: > 0 } typeText ? EventJson.ParseType(typeText) : null;
        string? message = query["message"].ToString().Trim() is { Length: > 0 } m ? m : null;
        string? search = query["q"].ToString().Trim() is { Length: > 0 } q ? q : null;
        var ct = context.RequestAborted;
        var now = time.GetUtcNow();
        var model = new StatusPage.Model(now, await history.ReadAsync(ct).ConfigureAwait(false), history.Samples,
            await reader.OutcomesAsync(now, ct).ConfigureAwait(false),
            await reader.DestinationsAsync(ct).ConfigureAwait(false), await reader.LastEventsAsync(type, message, PageEvents, ct).ConfigureAwait(false),
            type, message, search, search is null ? null : await reader.SearchAsync(search, ct).ConfigureAwait(false))
        {
            Shaping = transport.Destinations,
            Capture = context.RequestServices.GetService(typeof(Capture.CaptureView)) is not null,
        };
        await Html(context, 200, StatusPage.Render(model)).ConfigureAwait(false);
    }

    private static async Task<IResult> DepthAsync(QueueDepthHistory history, HttpContext context)
    {
        var now = await history.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        return ApiOutcome.Json(200, new { now, intervalSeconds = (int)QueueDepthHistory.Interval.TotalSeconds, samples = history.Samples });
    }

    private static async Task<IResult> EventsAsync(StatusReader reader, HttpContext context)
    {
        var query = context.Request.Query;
        QueueEventType? type = null;
        if (query["type"].ToString() is { Length: > 0 } typeText && (type = EventJson.ParseType(typeText)) is null)
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", "type is one of queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained.", "type"));
        }
        int limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > EventEndpoints.MaxLimit))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", $"limit is 1 to {EventEndpoints.MaxLimit}.", "limit"));
        }
        string? messageId = query["messageId"].ToString() is { Length: > 0 } id ? id : null;
        var events = await reader.LastEventsAsync(type, messageId, limit, context.RequestAborted).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            foreach (var e in events)
            {
                EventJson.Write(json, e);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Results.Bytes(buffer.ToArray(), "application/json");
    }

    internal static async Task Html(HttpContext context, int status, string html)
    {
        byte[] body = Encoding.UTF8.GetBytes(html);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static IResult Asset(HttpContext context, byte[] body, string contentType)
    {
        Secure(context);
        return Results.Bytes(body, contentType);
    }

    /// <summary>The headers every status response carries: the CSP, no sniffing, no framing, no referrer, no caching of queue data.</summary>
    internal static void Secure(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(StatusEndpoints).Assembly.GetManifestResourceStream("ModernMail.Server.Status." + name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
