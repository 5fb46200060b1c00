using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Server.Configuration;
using ModernMail.Tls.Internal;

namespace ModernMail.Server.Http;

/// <summary>GET /v1/tls/reports: the day's TLS session counts per recipient-domain policy as RFC 8460 aggregate reports.</summary>
internal static class TlsEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>()
            .MapGet("/tls/reports", GetAsync)
            .WithName("GetTlsReports")
            .WithSummary("RFC 8460 TLS reports for one UTC day (date=YYYY-MM-DD, default today), one per policy domain (domain= for one).")
            .ProducesProblem(400).ProducesProblem(401);
    }

    private static async Task<IResult> GetAsync(HttpContext context, TlsReportRecorder recorder, ITlsReportStore store, MailServerSettings settings, TimeProvider time)
    {
        DateOnly day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        string? date = context.Request.Query["date"];
        if (!string.IsNullOrEmpty(date) && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
        {
            return ApiOutcome.Problem(new ApiProblem(400, "Invalid query", $"date: expected YYYY-MM-DD, got \"{date}\".", "date"));
        }
        string? domain = context.Request.Query["domain"];
        // Counts wait in memory for the next flush; write them first so the answer is current.
        await recorder.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var json = new Utf8JsonWriter(buffer);
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("date", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WritePropertyName("reports");
            await TlsReportWriter.WriteAllAsync(json, store, day, string.IsNullOrEmpty(domain) ? null : domain, settings.HostName,
                "mailto:postmaster@" + settings.HostName, context.RequestAborted).ConfigureAwait(false);
            json.WriteEndObject();
        }
        return Results.Bytes(buffer.ToArray(), "application/json");
    }
}
