using System.Text.Json.Serialization;

namespace ModernMail.Cli.Output;

/// <summary>Source-generated JSON metadata for everything the CLI prints as JSON (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RecipientReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
