using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;
using ModernMail.Server.Unsubscribe;

namespace ModernMail.Server.Http;

/// <summary>Parses, checks and queues one message of a request, turning every refusal into a problem that names the member.</summary>
internal sealed class MessageSubmitter
{
    private readonly SubmissionQueue _queue;
    private readonly IServerStore _store;
    private readonly ILogger _logger;
    private readonly UnsubscribeLinks? _unsubscribe;

    public MessageSubmitter(SubmissionQueue queue, IServerStore store, ILogger<MessageSubmitter> logger, UnsubscribeLinks? unsubscribe = null)
    {
        _unsubscribe = unsubscribe;
        _queue = queue;
        _store = store;
        _logger = logger;
    }

    /// <summary>Parses a JSON document as one message and queues it: 202, or a problem.</summary>
    /// <param name="key">The API key the request authenticated with.</param>
    /// <param name="json">The message.</param>
    /// <param name="prefix">The message's JSON path in the request, for problem fields ("" or "messages[3].").</param>
    /// <param name="id">The queue id to use (an idempotent request's, see <see cref="Idempotency.IdempotentIds"/>); null for a new one.</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    public Task<ApiOutcome> SubmitAsync(StoredApiKey key, ReadOnlyMemory<byte> json, string prefix, string? id, CancellationToken cancellationToken)
    {
        MessageRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<MessageRequest>(json.Span, ApiJson.Options);
        }
        catch (JsonException ex)
        {
            return Task.FromResult(ApiOutcome.Problem(JsonProblem(ex, prefix)));
        }
        return SubmitAsync(key, request, prefix, id, cancellationToken);
    }

    /// <summary>Queues one already-parsed element of a batch.</summary>
    public Task<ApiOutcome> SubmitAsync(StoredApiKey key, JsonElement element, string prefix, string? id, CancellationToken cancellationToken)
    {
        MessageRequest? request;
        try
        {
            request = element.Deserialize<MessageRequest>(ApiJson.Options);
        }
        catch (JsonException ex)
        {
            return Task.FromResult(ApiOutcome.Problem(JsonProblem(ex, prefix)));
        }
        return SubmitAsync(key, request, prefix, id, cancellationToken);
    }

    /// <summary>A 400 naming the JSON path and position that failed to parse.</summary>
    public static ApiProblem JsonProblem(JsonException exception, string prefix)
    {
        string? path = exception.Path is { Length: > 0 } p ? prefix + (p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : p == "$" ? "" : p) : null;
        if (path is { Length: 0 } || (path is not null && path == prefix))
        {
            path = prefix.Length > 0 ? prefix.TrimEnd('.') : null;
        }
        string where = exception.LineNumber is { } line
            ? $" (line {line + 1}, byte {exception.BytePositionInLine + 1})"
            : "";
        return ApiProblem.BadJson($"The request is not valid JSON for this endpoint{where}: {Reason(exception)}", path);
    }

    /// <summary>The serializer's reason in API terms: no .NET type names, which mean nothing to a client in another language.</summary>
    private static string Reason(JsonException exception)
    {
        string reason = exception.Message;
        int cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }
        if (reason.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "unknown member (see /openapi/v1.json for the members of a message).";
        }
        if (reason.Contains("could not be converted to", StringComparison.Ordinal))
        {
            string type = reason[(reason.IndexOf("could not be converted to", StringComparison.Ordinal) + 26)..].TrimEnd('.');
            string expected = type switch
            {
                "System.String" => "a string",
                _ when type.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) => "an array",
                _ when type.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "an object",
                _ => "an object",
            };
            return $"wrong type; expected {expected}.";
        }
        return reason;
    }

    private async Task<ApiOutcome> SubmitAsync(StoredApiKey key, MessageRequest? request, string prefix, string? id, CancellationToken cancellationToken)
    {
        using var activity = MailTelemetry.StartSubmit(MailTelemetry.DoorApi);
        var outcome = await SubmitCoreAsync(key, request, prefix, id, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("http.response.status_code", outcome.Status);
        if (outcome.Status >= 400)
        {
            MailTelemetry.Fail(activity, $"refused with {outcome.Status}");
        }
        return outcome;
    }

    private async Task<ApiOutcome> SubmitCoreAsync(StoredApiKey key, MessageRequest? request, string prefix, string? id, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return ApiOutcome.Problem(ApiProblem.BadJson("The message must be a JSON object.", prefix.Length > 0 ? prefix.TrimEnd('.') : null));
        }
        try
        {
            var (tags, metadata) = MessageMapper.ClientData(request, prefix);
            // Events carry the client's tags and metadata; the trace of this request (its submit span) follows the message to its delivery attempts.
            var details = new EntryDetails(null, Annotations(tags, metadata), System.Diagnostics.Activity.Current?.Id) { Door = MailTelemetry.DoorApi };
            IReadOnlyList<SubmittedMessage> copies = MessageMapper.IsRaw(request)
                ? await SubmitRawAsync(key, request, prefix, id, details, cancellationToken).ConfigureAwait(false)
                : await SubmitStructuredAsync(key, request, prefix, id, details, cancellationToken).ConfigureAwait(false);
            var recipients = new List<AcceptedRecipient>();
            foreach (var queued in copies)
            {
                if (tags is not null || metadata is not null)
                {
                    await _store.SaveMessageInfoAsync(new MessageInfo(queued.Id, key.Id, tags, metadata), CancellationToken.None).ConfigureAwait(false);
                }
                for (int i = 0; i < queued.Recipients.Count; i++)
                {
                    recipients.Add(new AcceptedRecipient(queued.Recipients[i], queued.States[i] == RecipientState.Suppressed ? "suppressed" : "queued",
                        request.Unsubscribe == true || _queue.SendsCopies ? queued.Id : null));
                }
                ServerLog.MessageQueued(_logger, queued.Id, key.Name, queued.Recipients.Count);
            }
            return ApiOutcome.Json(202, new AcceptedMessage(copies[0].Id, recipients));
        }
        catch (ApiProblem problem)
        {
            return ApiOutcome.Problem(problem);
        }
        catch (MailMessageFormatException ex)
        {
            return ApiOutcome.Problem(ApiProblem.Invalid(Detail(ex.Message, ex.Field), MessageMapper.JsonField(ex.Field, prefix)));
        }
        catch (DkimException ex)
        {
            return ApiOutcome.Problem(ApiProblem.Invalid($"The message cannot be DKIM-signed: {ex.Message}", prefix + (MessageMapper.IsRaw(request) ? "raw" : "from")));
        }
        catch (ArgumentException ex)
        {
            string message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            string field = ex.ParamName is "message" or null ? prefix + "to" : prefix + ex.ParamName;
            return ApiOutcome.Problem(ApiProblem.Invalid(message, field));
        }
        catch (QueueStoreException ex)
        {
            ServerLog.StoreFailed(_logger, ex);
            return ApiOutcome.Problem(new ApiProblem(503, "Queue unavailable", "The message was not queued: the queue store is unavailable. Retry later."));
        }
    }

    private async Task<IReadOnlyList<SubmittedMessage>> SubmitStructuredAsync(StoredApiKey key, MessageRequest request, string prefix, string? id, EntryDetails details,
        CancellationToken cancellationToken)
    {
        using var message = MessageMapper.ToMailMessage(request, prefix);
        // From is set by the mapper, which refuses a message without one.
        CheckDomain(key, message.From!.Host, prefix + "from");
        if (request.Unsubscribe == true)
        {
            var links = Links(prefix);
            string domain = message.From.Host;
            return await _queue.EnqueueCopiesAsync(message, id, request.RequireTls == true, details, (copy, rcpt) => links.HeadersFor(copy, rcpt, domain), cancellationToken)
                .ConfigureAwait(false);
        }
        if (_queue.SendsCopies)
        {
            return await _queue.EnqueueCopiesAsync(message, id, request.RequireTls == true, details, headersFor: null, cancellationToken).ConfigureAwait(false);
        }
        return [await _queue.EnqueueAsync(message, id, request.RequireTls == true, details, cancellationToken).ConfigureAwait(false)];
    }

    private async Task<IReadOnlyList<SubmittedMessage>> SubmitRawAsync(StoredApiKey key, MessageRequest request, string prefix, string? id, EntryDetails details,
        CancellationToken cancellationToken)
    {
        var (envelope, bytes) = MessageMapper.ToRaw(request, prefix);
        bytes = RawMessage.Normalize(bytes, prefix + "raw");
        var (from, signed) = RawMessage.ReadHeaders(bytes, prefix + "raw");
        // Both the envelope sender and the header From: a key limited to one domain must not spoof another in either.
        CheckDomain(key, envelope.Sender!.Host, prefix + "envelope.from"); // ToRaw always sets a sender.
        CheckDomain(key, from.Host, prefix + "raw");
        if (request.Unsubscribe == true)
        {
            if (signed)
            {
                // Fields added after a signature are not covered by it: receivers would ignore (or distrust) them.
                throw ApiProblem.Invalid("unsubscribe needs the server to DKIM-sign the message; send it without a DKIM-Signature.", prefix + "unsubscribe");
            }
            var links = Links(prefix);
            return await _queue.EnqueueRawCopiesAsync(envelope, bytes, from, signed: false, id, details, (copy, rcpt) => links.HeadersFor(copy, rcpt, from.Host),
                cancellationToken).ConfigureAwait(false);
        }
        if (_queue.SendsCopies)
        {
            return await _queue.EnqueueRawCopiesAsync(envelope, bytes, from, signed, id, details, headersFor: null, cancellationToken).ConfigureAwait(false);
        }
        return [await _queue.EnqueueRawAsync(envelope, bytes, from, signed, id, details, cancellationToken).ConfigureAwait(false)];
    }

    private UnsubscribeLinks Links(string prefix) =>
        _unsubscribe ?? throw ApiProblem.Invalid("This server has no unsubscribe links configured (Unsubscribe:BaseUrl).", prefix + "unsubscribe");

    /// <summary>The tags (a JSON array) and metadata (a JSON object) as the one annotations object events carry; null for neither.</summary>
    internal static string? Annotations(string? tags, string? metadata) =>
        tags is null && metadata is null ? null : $"{{\"tags\":{tags ?? "[]"},\"metadata\":{metadata ?? "{}"}}}";

    private static void CheckDomain(StoredApiKey key, string domain, string field)
    {
        if (!key.AllowsDomain(domain))
        {
            throw new ApiProblem(403, "Sender domain not allowed",
                $"The API key \"{key.Name}\" may send from {string.Join(", ", key.Domains)} only, not from {domain}.", field);
        }
    }

    private static string Detail(string message, string field) =>
        field.Length > 0 && message.StartsWith(field + ": ", StringComparison.Ordinal) ? message[(field.Length + 2)..] : message;
}
