using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModernMail.Diagnostics;
using ModernMail.Server.Status;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ModernMail.Server.Http;

/// <summary>GET /metrics: the "ModernMail" meter in Prometheus text format.</summary>
/// <remarks>
/// OpenTelemetry's SDK and its Prometheus exporter rather than prometheus-net: the library records with
/// System.Diagnostics.Metrics only, and the OpenTelemetry SDK is the one pipeline that also carries the traces and the
/// OTLP export the server is to offer, so a second metrics system is not needed; its exporter turns our OpenTelemetry
/// names and units into Prometheus ones (<c>modernmail.recipients</c> becomes <c>modernmail_recipients_total</c>,
/// a histogram in "s" gets <c>_seconds</c>). The price: the ASP.NET Core exporter is published as a prerelease only.
/// Access (<see cref="OperatorAccess"/>, shared with the status page): free on a loopback listener (the scraper on the same
/// host); elsewhere an API key without a domain list, since the numbers cover every sender.
/// </remarks>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void AddMetrics(IServiceCollection services)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mailbroker", serviceVersion: MailTelemetry.Meter.Version))
            .WithMetrics(metrics => metrics.AddMeter(MailTelemetry.Name).AddPrometheusExporter());
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(CheckAccessAsync), optionsName: null)
            .ExcludeFromDescription();
    }

    /// <summary>Lets the scrape through by <see cref="OperatorAccess"/>'s rule; else 401 or 403.</summary>
    internal static async Task CheckAccessAsync(HttpContext context, RequestDelegate next)
    {
        if (await OperatorAccess.CheckAsync(context, Path).ConfigureAwait(false) is { } refusal)
        {
            await refusal.WriteAsync(context).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }
}
