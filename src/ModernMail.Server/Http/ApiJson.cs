using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModernMail.Server.Http;

/// <summary>The JSON conventions of the API: camelCase, nulls left out, unknown members refused (a typo is an error, not a silent default).</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 16,
    };
}
