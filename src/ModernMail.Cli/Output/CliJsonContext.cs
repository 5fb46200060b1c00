using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModernMail.Cli.Output;

/// <summary>Source-generated JSON metadata for everything the CLI prints as JSON (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RecipientReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>The context the CLI prints with: camelCase, and "&lt;addr&gt;" in server replies left readable (the output is not HTML).</summary>
    public static CliJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
