using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using ModernMail.Queue;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Http;

/// <summary>GET /healthz (the process answers) and GET /readyz (both stores answer), unauthenticated for load balancers.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => ApiOutcome.Json(200, new { status = "ok" }))
            .WithSummary("The process is up.")
            .ExcludeFromDescription();
        routes.MapGet("/readyz", ReadyAsync)
            .WithSummary("The queue store and the server store answer.")
            .ExcludeFromDescription();
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, SubmissionQueue queues, IServerStore store, ILogger<SubmissionQueue> logger)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await queues.WorkerQueue.Store.GetNextDueAsync(timeout.Token).ConfigureAwait(false);
            await store.PingAsync(timeout.Token).ConfigureAwait(false);
            return ApiOutcome.Json(200, new { status = "ready" });
        }
        catch (Exception ex) when (ex is QueueStoreException || (ex is OperationCanceledException && timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested))
        {
            ServerLog.StoreFailed(logger, ex);
            return ApiOutcome.Problem(new ApiProblem(503, "Not ready", "A store does not answer: " + (ex is QueueStoreException ? ex.Message : "timed out after 5 s")));
        }
    }
}
