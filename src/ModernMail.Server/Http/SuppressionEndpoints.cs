using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Queue;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Http;

/// <summary>GET/POST/DELETE /v1/suppressions: the addresses the queue will not send to, per sender domain or for every sender ("*").</summary>
/// <remarks>A key limited to sender domains reads and changes only their lists; the global list belongs to unrestricted keys.</remarks>
internal static class SuppressionEndpoints
{
    public const int MaxLimit = 1000;

    private const int MaxDetailLength = 1000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        v1.MapGet("/suppressions", ListAsync)
            .WithName("ListSuppressions")
            .WithSummary("Suppressed addresses in (address, scope) order; address=, scope= (a sender domain or *) and limit= filter; continue with after=CURSOR.")
            .Produces<SuppressionList>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403);
        v1.MapPost("/suppressions", AddAsync)
            .WithName("AddSuppression")
            .WithSummary("Suppress an address for a sender domain (default: the key's only domain) or for every sender (scope *, the default for an unrestricted key).")
            .Accepts<SuppressionRequest>("application/json")
            .Produces<SuppressionBody>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(422);
        v1.MapDelete("/suppressions/{address}", RemoveAsync)
            .WithName("RemoveSuppression")
            .WithSummary("Mail the address again: removes its entry for scope= (same default as POST).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(HttpContext context, SubmissionQueue queues)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        var query = context.Request.Query;
        int limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", $"limit is 1 to {MaxLimit}.", "limit"));
        }
        string? scopeText = query["scope"].ToString() is { Length: > 0 } s ? s : null;
        // An unrestricted key with no scope= sees every list; any other key, exactly one list it owns.
        string? scope = scopeText is null && key.Domains.Count == 0 ? null : ResolveScope(key, scopeText, "scope");
        string? address = query["address"].ToString() is { Length: > 0 } a ? a : null;
        string? after = query["after"].ToString() is { Length: > 0 } c ? c : null;
        IReadOnlyList<Suppression> page;
        try
        {
            page = await queues.WorkerQueue.Store.ListSuppressionsAsync(
                new SuppressionQuery { Address = address, Scope = scope, After = after, Limit = limit }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad query", "after is the cursor of a previous answer.", "after"));
        }
        var items = page.Select(ToBody).ToList();
        string? cursor = page.Count == limit ? page[^1].Address + " " + page[^1].Scope : null;
        return ApiOutcome.Json(200, new SuppressionList(items, cursor));
    }

    private static async Task<IResult> AddAsync(HttpContext context, SubmissionQueue queues, TimeProvider time)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        if (JsonRequest.UnsupportedMediaType(context.Request) is { } refused)
        {
            return refused;
        }
        byte[] body = await JsonRequest.ReadBodyAsync(context.Request).ConfigureAwait(false);
        SuppressionRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<SuppressionRequest>(body, ApiJson.Options);
        }
        catch (JsonException ex)
        {
            return ApiOutcome.Problem(Http.MessageSubmitter.JsonProblem(ex, ""));
        }
        if (request?.Address is not { Length: > 0 } text)
        {
            return ApiOutcome.Problem(ApiProblem.Invalid("address is required.", "address"));
        }
        string address = MessageMapper.Address(text, "address").Address;
        string scope = ResolveScope(key, request.Scope, "scope");
        SuppressionReason reason = SuppressionReason.Manual;
        if (request.Reason is { } reasonText && !TryParseReason(reasonText, out reason))
        {
            return ApiOutcome.Problem(ApiProblem.Invalid("reason is one of hardBounce, unsubscribe, complaint, manual.", "reason"));
        }
        if (request.Detail is { Length: > MaxDetailLength })
        {
            return ApiOutcome.Problem(ApiProblem.Invalid($"detail is at most {MaxDetailLength} characters.", "detail"));
        }
        if (request.Detail is { } detail && detail.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            return ApiOutcome.Problem(ApiProblem.Invalid("detail must not contain CR, LF or NUL.", "detail"));
        }
        var suppression = new Suppression(address, scope, reason, time.GetUtcNow()) { Detail = request.Detail };
        await queues.WorkerQueue.Store.AddSuppressionAsync(suppression, context.RequestAborted).ConfigureAwait(false);
        return ApiOutcome.Json(201, ToBody(suppression));
    }

    private static async Task<IResult> RemoveAsync(string address, HttpContext context, SubmissionQueue queues)
    {
        StoredApiKey key = ApiKeyFilter.KeyOf(context);
        string scope = ResolveScope(key, context.Request.Query["scope"].ToString() is { Length: > 0 } s ? s : null, "scope");
        string parsed = MessageMapper.Address(address, "address").Address;
        return await queues.WorkerQueue.Store.RemoveSuppressionAsync(parsed, scope, context.RequestAborted).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiOutcome.Problem(new ApiProblem(404, "Not found", $"{parsed} is not suppressed for {(scope == Suppression.GlobalScope ? "every sender (*)" : scope)}."));
    }

    /// <summary>The list a request means: the scope it names, or the key's default; a scope the key does not own is 403.</summary>
    private static string ResolveScope(StoredApiKey key, string? text, string field)
    {
        if (text is null)
        {
            return key.Domains.Count switch
            {
                0 => Suppression.GlobalScope,
                1 => Normalize(key.Domains[0]),
                _ => throw new ApiProblem(400, "Bad request", "This key may use several sender domains: name the list with scope.", field),
            };
        }
        string scope = text is "*" or "global" ? Suppression.GlobalScope : Normalize(text);
        if (scope.Length == 0 || scope.Length > 253 || scope.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 || scope.Contains(' ', StringComparison.Ordinal))
        {
            throw new ApiProblem(400, "Bad request", "scope is a sender domain or * (every sender).", field);
        }
        bool allowed = key.Domains.Count == 0 || (scope != Suppression.GlobalScope && key.AllowsDomain(scope));
        return allowed ? scope : throw new ApiProblem(403, "Scope not allowed", $"This key may not use the suppression list of {scope}.", field);
    }

    private static string Normalize(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();

    private static bool TryParseReason(string text, out SuppressionReason reason) =>
        Enum.TryParse(text, ignoreCase: true, out reason) && Enum.IsDefined(reason) && !int.TryParse(text, CultureInfo.InvariantCulture, out _);

    private static SuppressionBody ToBody(Suppression s) =>
        new(s.Address, s.Scope, JsonNamingPolicy.CamelCase.ConvertName(s.Reason.ToString()), s.CreatedAt, s.MessageId, s.Detail);
}

/// <summary>POST /v1/suppressions.</summary>
/// <param name="Address">The address to suppress.</param>
/// <param name="Scope">A sender domain, or * for every sender; default as described on the endpoint.</param>
/// <param name="Reason">hardBounce, unsubscribe, complaint or manual (the default).</param>
/// <param name="Detail">A note kept with the entry.</param>
internal sealed record SuppressionRequest(string? Address, string? Scope, string? Reason, string? Detail);

/// <summary>One suppression as the API shows it.</summary>
internal sealed record SuppressionBody(string Address, string Scope, string Reason, DateTimeOffset CreatedAt, string? MessageId, string? Detail);

/// <summary>A page of suppressions; <paramref name="Cursor"/> continues it (after=), null on the last page.</summary>
internal sealed record SuppressionList(IReadOnlyList<SuppressionBody> Suppressions, string? Cursor);
