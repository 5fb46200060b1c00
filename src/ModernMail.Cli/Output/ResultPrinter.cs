using System.Text.Json;
using ModernMail.Delivery;

namespace ModernMail.Cli.Output;

/// <summary>Prints per-recipient results: one human line each, or one JSON object per line.</summary>
internal static class ResultPrinter
{
    public static void Print(IReadOnlyList<DeliveryResult> results, bool json, TextWriter output)
    {
        foreach (DeliveryResult result in results)
        {
            RecipientReport report = RecipientReport.From(result);
            output.WriteLine(json ? JsonSerializer.Serialize(report, CliJsonContext.Output.RecipientReport) : Describe(report));
        }
    }

    /// <summary>"delivered  bob@example.com  mx=mx.example.com  tls=Tls13 TLS_AES_256_GCM_SHA384  250 2.0.0 Ok".</summary>
    public static string Describe(RecipientReport report)
    {
        string status = report.Delivered ? "delivered" : report.Transient ? "deferred " : "failed   ";
        string tls = report.Tls is null ? "tls=none" : $"tls={report.Tls}{(report.TlsCipher is null ? "" : " " + report.TlsCipher)}";
        string reply = report.Code is { } code
            ? $"{code}{(report.EnhancedCode is null ? "" : " " + report.EnhancedCode)} {report.Response}"
            : report.Response ?? "";
        return $"{status}  {report.Recipient}  mx={report.Mx ?? "-"}  {tls}  {reply}".TrimEnd();
    }
}
