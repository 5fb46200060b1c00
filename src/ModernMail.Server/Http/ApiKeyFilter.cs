using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModernMail.Server.Internal;
using ModernMail.Server.Keys;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Http;

/// <summary>Requires "Authorization: Bearer &lt;key&gt;" with an active key on every /v1 endpoint, before the body is read.</summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private readonly ApiKeyService _keys;
    private readonly ILogger _logger;

    public ApiKeyFilter(ApiKeyService keys, ILogger<ApiKeyFilter> logger)
    {
        _keys = keys;
        _logger = logger;
    }

    /// <summary>The key the request authenticated with (set by the filter).</summary>
    public static StoredApiKey KeyOf(HttpContext context) =>
        context.Items[typeof(StoredApiKey)] as StoredApiKey ?? throw new InvalidOperationException("The endpoint is not behind ApiKeyFilter.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        var (key, refusal) = await AuthenticateAsync(http, _keys, _logger).ConfigureAwait(false);
        if (key is null)
        {
            return refusal;
        }
        http.Items[typeof(StoredApiKey)] = key;
        return await next(context).ConfigureAwait(false);
    }

    /// <summary>The active key of the request's "Authorization: Bearer" header, or the 401 to answer (logged, with its RFC 6750 challenge).</summary>
    internal static async Task<(StoredApiKey? Key, ApiOutcome? Refusal)> AuthenticateAsync(HttpContext http, ApiKeyService keys, ILogger logger)
    {
        string header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Unauthorized(http, logger,
                header.Length == 0 ? "No Authorization header: send \"Authorization: Bearer <API key>\"." : "The Authorization header is not \"Bearer <API key>\".", invalid: false));
        }
        StoredApiKey? key = await keys.AuthenticateAsync(header[7..].Trim(), http.RequestAborted).ConfigureAwait(false);
        return key is null ? (null, Unauthorized(http, logger, "The API key is unknown, wrong or revoked.", invalid: true)) : (key, null);
    }

    private static ApiOutcome Unauthorized(HttpContext http, ILogger logger, string detail, bool invalid)
    {
        ServerLog.AuthenticationFailed(logger, http.Connection.RemoteIpAddress?.ToString(), detail);
        // RFC 6750 §3: the challenge names the scheme, and error="invalid_token" when a token was presented.
        http.Response.Headers.WWWAuthenticate = invalid ? "Bearer realm=\"mailbroker\", error=\"invalid_token\"" : "Bearer realm=\"mailbroker\"";
        return ApiOutcome.Problem(new ApiProblem(401, "Unauthorized", detail, "Authorization"));
    }
}
