using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Queue;
using ModernMail.Server.Idempotency;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Http;

/// <summary>The /v1/messages endpoints: submit one, submit a batch, read one, list.</summary>
internal static class MessageEndpoints
{
    public const int MaxBatchSize = 500;

    public const int DefaultListLimit = 100;

    public const int MaxListLimit = 1000;

    /// <summary>How many matching messages one list request reads from the store, at most, looking for ones the key may see.</summary>
    public const int ListScanLimit = 10_000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        v1.MapPost("/messages", SubmitAsync)
            .WithName("SendMessage")
            .WithSummary("Queue one message (structured fields, or envelope with raw); 202 once it is durably queued.")
            .Accepts<MessageRequest>("application/json")
            .Produces<AcceptedMessage>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409).ProducesProblem(413).ProducesProblem(422).ProducesProblem(503);
        v1.MapPost("/messages/batch", SubmitBatchAsync)
            .WithName("SendMessages")
            .WithSummary($"Queue up to {MaxBatchSize} messages; each is queued or refused on its own.")
            .Accepts<BatchRequest>("application/json")
            .Produces<BatchResult>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(409).ProducesProblem(413).ProducesProblem(422);
        v1.MapGet("/messages/{id}", GetAsync)
            .WithName("GetMessage")
            .WithSummary("A message's state, per recipient.")
            .Produces<MessageStatus>()
            .ProducesProblem(401).ProducesProblem(404);
        v1.MapGet("/messages", ListAsync)
            .WithName("ListMessages")
            .WithSummary("Messages oldest first, filtered by status, recipient and creation time; page with cursor.")
            .Produces<MessageList>()
            .ProducesProblem(400).ProducesProblem(401);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, MessageSubmitter submitter, IdempotencyGate idempotency)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        if (JsonRequest.UnsupportedMediaType(context.Request) is { } refused)
        {
            return refused;
        }
        byte[] body = await JsonRequest.ReadBodyAsync(context.Request).ConfigureAwait(false);
        return await idempotency.RunAsync(context, key, body,
            ids => submitter.SubmitAsync(key, body, "", ids?.For(0), context.RequestAborted)).ConfigureAwait(false);
    }

    private static async Task<IResult> SubmitBatchAsync(HttpContext context, MessageSubmitter submitter, IdempotencyGate idempotency)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        if (JsonRequest.UnsupportedMediaType(context.Request) is { } refused)
        {
            return refused;
        }
        byte[] body = await JsonRequest.ReadBodyAsync(context.Request).ConfigureAwait(false);
        return await idempotency.RunAsync(context, key, body, async ids =>
        {
            BatchRequest? batch;
            try
            {
                batch = JsonSerializer.Deserialize<BatchRequest>(body, ApiJson.Options);
            }
            catch (JsonException ex)
            {
                return ApiOutcome.Problem(MessageSubmitter.JsonProblem(ex, ""));
            }
            if (batch?.Messages is not { } messages)
            {
                return ApiOutcome.Problem(ApiProblem.BadJson("The request must be {\"messages\": [ ... ]}.", "messages"));
            }
            if (messages.Count is 0 or > MaxBatchSize)
            {
                return ApiOutcome.Problem(ApiProblem.Invalid($"A batch holds 1 to {MaxBatchSize} messages; this one has {messages.Count}.", "messages"));
            }
            // Each message on its own: one refused message does not stop the others, and results keep the request's order.
            var results = new List<object>(messages.Count);
            for (int i = 0; i < messages.Count; i++)
            {
                string prefix = string.Create(CultureInfo.InvariantCulture, $"messages[{i}].");
                ApiOutcome outcome = await submitter.SubmitAsync(key, messages[i], prefix, ids?.For(i), context.RequestAborted).ConfigureAwait(false);
                results.Add(JsonSerializer.Deserialize<JsonElement>(outcome.Body));
            }
            return ApiOutcome.Json(200, new BatchResult(results));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, SubmissionQueue queues, IServerStore store)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        QueuedMessage? message = id.Length is > 0 and <= 64 ? await queues.WorkerQueue.GetAsync(id, context.RequestAborted).ConfigureAwait(false) : null;
        MessageInfo? info = message is null ? null : await store.GetMessageInfoAsync(id, context.RequestAborted).ConfigureAwait(false);
        if (message is null || !Visible(key, message, info))
        {
            // The same answer for "unknown" and "not yours": a key limited to one domain learns nothing about others.
            return ApiOutcome.Problem(new ApiProblem(404, "Not found", $"No message {id} is visible to this key."));
        }
        return ApiOutcome.Json(200, ToStatus(message, info, history: true));
    }

    private static async Task<IResult> ListAsync(HttpContext context, SubmissionQueue queues, IServerStore store)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        var query = context.Request.Query;
        RecipientState? state = null;
        if (query["status"].ToString() is { Length: > 0 } status)
        {
            if (!Enum.TryParse(status, ignoreCase: true, out RecipientState parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            {
                return ApiOutcome.Problem(new ApiProblem(400, "Bad query", "status is one of queued, delivering, deferred, delivered, bounced, expired.", "status"));
            }
            state = parsed;
        }
        int limit = DefaultListLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListLimit))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", $"limit is 1 to {MaxListLimit}.", "limit"));
        }
        DateTimeOffset? since = null;
        if (query["since"].ToString() is { Length: > 0 } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsedSince))
            {
                return ApiOutcome.Problem(new ApiProblem(400, "Bad query", "since is an ISO 8601 time such as 2025-01-31T12:00:00Z.", "since"));
            }
            since = parsedSince;
        }
        string? recipient = query["recipient"].ToString() is { Length: > 0 } r ? r : null;
        string? cursor = query["cursor"].ToString() is { Length: > 0 } c ? c : null;

        // The store filters; ids are time-ordered (UUIDv7), so id order is submission order and the last id of a page is a
        // stable cursor. Messages another key may not see are skipped, so a page is filled from further store pages.
        var page = new List<MessageStatus>(Math.Min(limit, 64));
        bool more = false;
        string? after = cursor;
        for (int scanned = 0; !more && scanned < ListScanLimit;)
        {
            var batch = await queues.WorkerQueue.QueryAsync(new QueueQuery(limit + 1, after, since, state, recipient), context.RequestAborted).ConfigureAwait(false);
            foreach (var message in batch)
            {
                after = message.Id;
                MessageInfo? info = await store.GetMessageInfoAsync(message.Id, context.RequestAborted).ConfigureAwait(false);
                if (!Visible(key, message, info))
                {
                    continue;
                }
                if (page.Count == limit)
                {
                    more = true;
                    break;
                }
                page.Add(ToStatus(message, info));
            }
            scanned += batch.Count;
            if (batch.Count <= limit)
            {
                break;
            }
        }
        return ApiOutcome.Json(200, new MessageList(page, more ? page[^1].Id : null));
    }

    private static bool Visible(StoredApiKey key, QueuedMessage message, MessageInfo? info) =>
        info?.KeyId == key.Id || (message.Sender is { } sender && key.AllowsDomain(Domain(sender))) || key.Domains.Count == 0;

    private static string Domain(string address) => address[(address.LastIndexOf('@') + 1)..];

    internal static MessageStatus ToStatus(QueuedMessage message, MessageInfo? info, bool history = false)
    {
        var recipients = message.Recipients
            .Select(r => new RecipientStatus(r.Address, Name(r.State), r.Attempts, r.NextAttemptAt, r.LastReply, r.UpdatedAt,
                history ? r.History.Select(a => new AttemptStatus(a.Number, a.At, Name(a.State), a.MxHost, a.Tls, PolicyName(a.TlsPolicy), a.Reply)).ToList() : null))
            .ToList();
        return new MessageStatus(message.Id, message.Sender, message.Size, Overall(message), message.CreatedAt, message.ExpiresAt, recipients,
            info?.Tags is { } tags ? JsonSerializer.Deserialize<List<string>>(tags) : null,
            info?.Metadata is { } metadata ? JsonSerializer.Deserialize<JsonElement>(metadata) : null);
    }

    private static string PolicyName(ModernMail.Tls.AppliedTlsPolicy policy) => policy switch
    {
        ModernMail.Tls.AppliedTlsPolicy.MtaStsTesting => "mta-sts-testing",
        ModernMail.Tls.AppliedTlsPolicy.MtaStsEnforce => "mta-sts-enforce",
        ModernMail.Tls.AppliedTlsPolicy.Dane => "dane",
        _ => "none",
    };

    /// <summary>The message as a whole: the least advanced recipient's state while any is pending, else delivered/bounced/expired/partial.</summary>
    private static string Overall(QueuedMessage message)
    {
        if (!message.IsComplete)
        {
            var states = message.Recipients.Select(r => r.State).ToHashSet();
            return states.Contains(RecipientState.Delivering) ? "delivering" : states.Contains(RecipientState.Deferred) ? "deferred" : "queued";
        }
        var final = message.Recipients.Select(r => r.State).Distinct().ToList();
        return final.Count == 1 ? Name(final[0]) : "partial";
    }

    private static string Name(RecipientState state) => state.ToString().ToLowerInvariant();
}
