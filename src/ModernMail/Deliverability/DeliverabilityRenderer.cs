using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ModernMail.Deliverability;

/// <summary>Renders doctor reports and recommended records for people (text) and machines (JSON), so the CLI only prints.</summary>
public static class DeliverabilityRenderer
{
    /// <summary>Renders a report as aligned text lines: status, area, summary, then the record and the fix indented.</summary>
    public static string RenderText(DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var setup = report.Setup;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Deliverability of {setup.Domain} sending from {setup.Address} as {setup.HeloName}\n\n");
        foreach (var check in report.Checks)
        {
            text.Append(CultureInfo.InvariantCulture, $"{StatusText(check.Status),-4}  {check.Area,-8} {check.Summary}\n");
            if (check.Record is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"{"",-15}record: {check.Record}\n");
            }

            if (check.Fix is not null && check.Status != CheckStatus.Pass)
            {
                text.Append(CultureInfo.InvariantCulture, $"{"",-15}fix: {check.Fix}\n");
            }
        }

        var failed = report.Checks.Count(c => c.Status == CheckStatus.Fail);
        var warned = report.Checks.Count(c => c.Status == CheckStatus.Warn);
        text.Append(CultureInfo.InvariantCulture, $"\n{(report.IsOk ? "ok" : "NOT OK")}: {failed} failed, {warned} warnings, {report.Checks.Count - failed - warned} passed\n");
        return text.ToString();
    }

    /// <summary>Renders a report as JSON: {"domain","address","helo","ok","checks":[{"area","status","summary","fix","record"}]}.</summary>
    public static string RenderJson(DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("domain", report.Setup.Domain);
            json.WriteString("address", report.Setup.Address.ToString());
            json.WriteString("helo", report.Setup.HeloName);
            json.WriteBoolean("ok", report.IsOk);
            json.WriteStartArray("checks");
            foreach (var check in report.Checks)
            {
                json.WriteStartObject();
                json.WriteString("area", check.Area);
                json.WriteString("status", StatusText(check.Status).ToLowerInvariant());
                json.WriteString("summary", check.Summary);
                WriteOptional(json, "fix", check.Fix);
                WriteOptional(json, "record", check.Record);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Renders records as zone-file lines, each after a comment saying what it is for and who publishes it.</summary>
    /// <remarks>TXT values longer than 255 bytes are split into several quoted strings, as DNS requires.</remarks>
    public static string RenderText(IReadOnlyList<RecommendedRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(CultureInfo.InvariantCulture, $"; {record.Purpose} (published by: {record.PublishedBy})\n");
            text.Append(CultureInfo.InvariantCulture, $"{record.Name}. IN {record.Type} {ZoneValue(record)}\n\n");
        }

        return text.ToString();
    }

    /// <summary>Renders records as a JSON array of {"name","type","value","purpose","publishedBy"}.</summary>
    public static string RenderJson(IReadOnlyList<RecommendedRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var record in records)
            {
                json.WriteStartObject();
                json.WriteString("name", record.Name);
                json.WriteString("type", record.Type);
                json.WriteString("value", record.Value);
                json.WriteString("purpose", record.Purpose);
                json.WriteString("publishedBy", record.PublishedBy);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Splits a TXT value into quoted character-strings of at most 255 bytes: "abc" "def".</summary>
    public static string QuoteTxt(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = new List<string>();
        for (var i = 0; i < value.Length; i += 255)
        {
            var part = value.Substring(i, Math.Min(255, value.Length - i));
            parts.Add("\"" + part.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        }

        return parts.Count == 0 ? "\"\"" : string.Join(' ', parts);
    }

    private static string ZoneValue(RecommendedRecord record) => record.Type switch
    {
        "TXT" => QuoteTxt(record.Value),
        "PTR" => record.Value + ".",
        _ => record.Value,
    };

    private static string StatusText(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "PASS",
        CheckStatus.Warn => "WARN",
        _ => "FAIL",
    };

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
