using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using ModernMail.Server.Http;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Idempotency;

/// <summary>Makes a request with an Idempotency-Key header safe to retry: the same key and request within <see cref="Window"/>
/// get the first answer again and nothing is queued twice; the same key with another request is 409.</summary>
/// <remarks>
/// The key is claimed in the server store before the request runs and the answer is recorded (fsync'd) before it is sent,
/// so a client that saw a 202 and retries gets that 202. Keys are scoped per API key. A request that ends in 5xx (a store
/// outage) gives its claim back, so the retry runs anew. The queue ids are fixed at the claim (<see cref="IdempotentIds"/>):
/// if the process dies between the queue's commit and the record, the first retry after the restart takes the claim over and
/// runs the request again with the same ids, which the queue stores at most once, and gets the answer the first request
/// would have had. A retry while the first request still runs in this process is 409.
/// </remarks>
internal sealed class IdempotencyGate
{
    public const string HeaderName = "Idempotency-Key";

    public const int MaxKeyLength = 255;

    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private readonly IServerStore _store;
    private readonly TimeProvider _time;

    /// <summary>This process's name on the claims it holds; a claim held by another name was left by a process that stopped.</summary>
    private readonly string _owner = Guid.NewGuid().ToString("N");

    public IdempotencyGate(IServerStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Runs <paramref name="run"/> once per (API key, idempotency key); replays its answer on a retry.</summary>
    public async Task<ApiOutcome> RunAsync(HttpContext context, StoredApiKey apiKey, byte[] body, Func<IdempotentIds?, Task<ApiOutcome>> run)
    {
        string? key = context.Request.Headers[HeaderName];
        if (key is null)
        {
            return await run(null).ConfigureAwait(false);
        }
        if (key.Length is 0 or > MaxKeyLength || key.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad Idempotency-Key", $"The {HeaderName} header must be 1 to {MaxKeyLength} printable ASCII characters.", HeaderName));
        }
        byte[] hash = RequestHash(context.Request, body);
        DateTimeOffset now = _time.GetUtcNow();
        var ct = context.RequestAborted;
        IdempotencyRecord? existing = await _store.TryClaimIdempotencyAsync(apiKey.Id, key, hash, now, now - Window, _owner, ct).ConfigureAwait(false);
        DateTimeOffset claimedAt = now;
        if (existing is not null)
        {
            if (!CryptographicOperations.FixedTimeEquals(existing.RequestHash, hash))
            {
                return ApiOutcome.Problem(new ApiProblem(409, "Idempotency-Key reused", $"This {HeaderName} was used within the last 24 hours for a different request.", HeaderName));
            }
            if (existing.InProgress && (existing.Owner == _owner
                || !await _store.TryTakeOverIdempotencyAsync(apiKey.Id, key, existing.Owner, _owner, ct).ConfigureAwait(false)))
            {
                return ApiOutcome.Problem(new ApiProblem(409, "Request in progress",
                    $"A request with this {HeaderName} is still being processed; retry it later.", HeaderName));
            }
            if (!existing.InProgress)
            {
                context.Response.Headers["Idempotent-Replayed"] = "true";
                return new ApiOutcome(existing.StatusCode, existing.Body);
            }
            // Resuming a claim whose process stopped: the same ids, so what it already queued is not queued again.
            claimedAt = existing.CreatedAt;
        }

        ApiOutcome outcome;
        try
        {
            outcome = await run(new IdempotentIds(apiKey.Id, key, claimedAt)).ConfigureAwait(false);
        }
        catch
        {
            await _store.ReleaseIdempotencyAsync(apiKey.Id, key, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        if (outcome.Status >= 500)
        {
            await _store.ReleaseIdempotencyAsync(apiKey.Id, key, CancellationToken.None).ConfigureAwait(false);
            return outcome;
        }
        // Not cancellable: the message may already be queued; the record must follow it.
        await _store.CompleteIdempotencyAsync(apiKey.Id, key, outcome.Status, outcome.Body, CancellationToken.None).ConfigureAwait(false);
        return outcome;
    }

    private static byte[] RequestHash(HttpRequest request, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.Method + " " + request.Path + "\n"));
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }
}
