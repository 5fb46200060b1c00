using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModernMail.Queue;
using ModernMail.Server.Internal;

namespace ModernMail.Server.Http;

/// <summary>The last line: whatever escapes an endpoint becomes a problem without internals. Client faults Kestrel detects
/// (too large, too slow, malformed) keep their status; a store outage is 503; anything else is logged and a generic 500.</summary>
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    private readonly ILogger _logger;

    public ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) => _logger = logger;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        string traceId = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        ApiProblem problem;
        switch (exception)
        {
            case BadHttpRequestException bad:
                problem = bad.StatusCode switch
                {
                    413 => new ApiProblem(413, "Request too large", $"The request body is larger than the server's limit ({Limit(httpContext)}).", null),
                    408 => new ApiProblem(408, "Request timeout", "The request body arrived too slowly.", null),
                    _ => new ApiProblem(bad.StatusCode, "Bad request", "The HTTP request is malformed.", null),
                };
                ServerLog.Refused(_logger, httpContext.Request.Method, httpContext.Request.Path, problem.Message);
                break;
            case ApiProblem refusal:
                // Validation deep inside an endpoint stops the request with its named problem.
                problem = refusal;
                break;
            case QueueStoreException store:
                ServerLog.StoreFailed(_logger, store);
                httpContext.Response.Headers.RetryAfter = "5";
                problem = new ApiProblem(503, "Store unavailable", "The server's store is unavailable; nothing was changed. Retry later.");
                break;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                // The client went away; there is no one to answer.
                return true;
            default:
                ServerLog.Unhandled(_logger, exception, httpContext.Request.Method, httpContext.Request.Path, traceId);
                problem = new ApiProblem(500, "Internal error", $"The server failed to handle the request; it has been logged (trace {traceId}).");
                break;
        }
        if (httpContext.Response.HasStarted)
        {
            return true;
        }
        await ApiOutcome.Problem(problem).WriteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    private static string Limit(HttpContext context)
    {
        long? max = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return max is { } bytes ? $"{bytes} bytes" : "configured by Http:MaxRequestBodySize";
    }
}
