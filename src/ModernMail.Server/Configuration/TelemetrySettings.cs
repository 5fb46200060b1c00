namespace ModernMail.Server.Configuration;

/// <summary>Export of the "ModernMail" metrics and traces to an OpenTelemetry collector (OTLP), besides GET /metrics.</summary>
public sealed class TelemetrySettings
{
    /// <summary>The collector's OTLP endpoint, e.g. "http://otel-collector:4317" (gRPC) or "http://otel-collector:4318"
    /// (HTTP/protobuf); null for no export. The standard OTEL_* environment variables tune intervals and headers.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>"grpc" (default) or "http/protobuf".</summary>
    public string OtlpProtocol { get; set; } = "grpc";
}
