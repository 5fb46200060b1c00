using Microsoft.AspNetCore.Http;

namespace ModernMail.Server.Http;

/// <summary>How every JSON endpoint reads its request: the media type checked, the body read within Kestrel's limits.</summary>
internal static class JsonRequest
{
    public static ApiOutcome? UnsupportedMediaType(HttpRequest request)
    {
        string? type = request.ContentType;
        if (type is null || type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.Contains("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }
        return ApiOutcome.Problem(new ApiProblem(415, "Unsupported media type", $"Send the request as application/json, not {type}.", "Content-Type"));
    }

    public static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        // Kestrel enforces MaxRequestBodySize and the minimum data rate while this reads (413 and 408 through the exception handler).
        // The declared length only sizes the first buffer (capped): a client's header must not make us allocate before Kestrel refuses it.
        using var buffer = new MemoryStream((int)Math.Min(request.ContentLength ?? 16 * 1024, 1024 * 1024));
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
