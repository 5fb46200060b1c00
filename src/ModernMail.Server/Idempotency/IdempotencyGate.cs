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
/// outage) gives its claim back, so the retry runs anew. If the process dies between the queue's commit and the record,
/// a retry sees the claim still open and gets 409 rather than a second copy of the message.
/// </remarks>
internal sealed class IdempotencyGate
{
    public const string HeaderName = "Idempotency-Key";

    public const int MaxKeyLength = 255;

    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private readonly IServerStore _store;
    private readonly TimeProvider _time;

    public IdempotencyGate(IServerStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Runs <paramref name="run"/> once per (API key, idempotency key); replays its answer on a retry.</summary>
    public async Task<ApiOutcome> RunAsync(HttpContext context, StoredApiKey apiKey, byte[] body, Func<Task<ApiOutcome>> run)
    {
        string? key = context.Request.Headers[HeaderName];
        if (key is null)
        {
            return await run().ConfigureAwait(false);
        }
        if (key.Length is 0 or > MaxKeyLength || key.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Bad Idempotency-Key", $"The {HeaderName} header must be 1 to {MaxKeyLength} printable ASCII characters.", HeaderName));
        }
        byte[] hash = RequestHash(context.Request, body);
        DateTimeOffset now = _time.GetUtcNow();
        var ct = context.RequestAborted;
        IdempotencyRecord? existing = await _store.TryClaimIdempotencyAsync(apiKey.Id, key, hash, now, now - Window, ct).ConfigureAwait(false);
        if (existing is not null)
        {
            if (!CryptographicOperations.FixedTimeEquals(existing.RequestHash, hash))
            {
                return ApiOutcome.Problem(new ApiProblem(409, "Idempotency-Key reused", $"This {HeaderName} was used within the last 24 hours for a different request.", HeaderName));
            }
            if (existing.InProgress)
            {
                return ApiOutcome.Problem(new ApiProblem(409, "Request in progress",
                    $"A request with this {HeaderName} is still being processed (or the server stopped while processing it); check GET /v1/messages before sending again.", HeaderName));
            }
            context.Response.Headers["Idempotent-Replayed"] = "true";
            return new ApiOutcome(existing.StatusCode, existing.Body);
        }

        ApiOutcome outcome;
        try
        {
            outcome = await run().ConfigureAwait(false);
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
