using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ModernMail.Server.Http;

/// <summary>A finished answer as bytes: what is sent, and what an idempotent retry replays.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The JSON body.</param>
internal sealed record ApiOutcome(int Status, byte[] Body) : IResult
{
    /// <summary>application/problem+json for errors, application/json otherwise.</summary>
    public string ContentType => Status >= 400 ? "application/problem+json" : "application/json";

    public static ApiOutcome Json(int status, object body) => new(status, JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ApiJson.Options));

    public static ApiOutcome Problem(ApiProblem problem, string? instance = null) => Json(problem.Status, problem.ToBody(instance));

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext);

    /// <summary>Writes the answer.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = Body.Length;
        await context.Response.Body.WriteAsync(Body, context.RequestAborted).ConfigureAwait(false);
    }
}
