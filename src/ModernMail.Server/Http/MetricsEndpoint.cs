using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModernMail.Diagnostics;
using ModernMail.Server.Configuration;
using ModernMail.Server.Status;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

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

    /// <summary>The Prometheus exporter, and with <see cref="TelemetrySettings.OtlpEndpoint"/> the OTLP exporter for the metrics and
    /// the "ModernMail" spans (one trace from an HTTP submission to its delivery attempts).</summary>
    /// <exception cref="ServerConfigurationException">The OTLP endpoint or protocol is invalid.</exception>
    public static void AddMetrics(IServiceCollection services, TelemetrySettings telemetry)
    {
        var otlp = OtlpTarget.Of(telemetry);
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => Service(resource))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MailTelemetry.Name).AddPrometheusExporter();
                otlp?.AddTo(metrics);
            });
        if (otlp is not null)
        {
            // ASP.NET Core's own request activity too: it is the parent of the submit span, and an unsampled parent would drop
            // the whole trace (the default sampler follows the parent).
            builder.WithTracing(tracing => otlp.AddTo(tracing.AddSource(MailTelemetry.Name, "Microsoft.AspNetCore")));
        }
    }

    /// <summary>The OTLP export without an HTTP API (<c>--http none</c>: no host to hang it on): its own meter and tracer
    /// providers, disposed with the server; null when no endpoint is configured.</summary>
    /// <exception cref="ServerConfigurationException">The OTLP endpoint or protocol is invalid.</exception>
    public static IDisposable? StartOtlpAlone(TelemetrySettings telemetry)
    {
        if (OtlpTarget.Of(telemetry) is not { } otlp)
        {
            return null;
        }
        var resource = Service(ResourceBuilder.CreateDefault());
        var meters = otlp.AddTo(OpenTelemetry.Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(MailTelemetry.Name)).Build();
        var tracer = otlp.AddTo(OpenTelemetry.Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(MailTelemetry.Name)).Build();
        return new Providers(meters, tracer);
    }

    private sealed class Providers(MeterProvider meters, TracerProvider tracer) : IDisposable
    {
        public void Dispose()
        {
            // Dispose flushes what is still batched.
            tracer.Dispose();
            meters.Dispose();
        }
    }

    private static ResourceBuilder Service(ResourceBuilder resource) => resource.AddService("mailbroker", serviceVersion: MailTelemetry.Meter.Version);

    /// <summary>The collector the OTLP exporters post to.</summary>
    private sealed record OtlpTarget(Uri Endpoint, OtlpExportProtocol Protocol)
    {
        /// <exception cref="ServerConfigurationException">The endpoint or protocol is invalid.</exception>
        public static OtlpTarget? Of(TelemetrySettings telemetry)
        {
            if (string.IsNullOrWhiteSpace(telemetry.OtlpEndpoint))
            {
                return null;
            }
            if (!Uri.TryCreate(telemetry.OtlpEndpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                throw new ServerConfigurationException($"Telemetry:OtlpEndpoint: \"{telemetry.OtlpEndpoint}\" is not an http(s) URL.");
            }
            var protocol = telemetry.OtlpProtocol.Trim().ToLowerInvariant() switch
            {
                "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
                _ => throw new ServerConfigurationException($"Telemetry:OtlpProtocol: \"{telemetry.OtlpProtocol}\" is not grpc or http/protobuf."),
            };
            return new OtlpTarget(endpoint, protocol);
        }

        public MeterProviderBuilder AddTo(MeterProviderBuilder metrics) =>
            metrics.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (Signal("v1/metrics"), Protocol));

        public TracerProviderBuilder AddTo(TracerProviderBuilder tracing) =>
            tracing.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (Signal("v1/traces"), Protocol));

        /// <summary>Over HTTP the exporter posts to exactly the URL it is given: a bare collector address gets the signal's
        /// standard path (/v1/metrics, /v1/traces); gRPC takes the address as is.</summary>
        private Uri Signal(string path) =>
            Protocol == OtlpExportProtocol.HttpProtobuf && Endpoint.AbsolutePath is "/" or "" ? new Uri(Endpoint, path) : Endpoint;
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
