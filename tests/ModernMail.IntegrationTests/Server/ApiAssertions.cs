using System.Text.Json;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>What the HTTP API tests check again and again: a message reaching a state, an RFC 9457 answer.</summary>
internal static class ApiAssertions
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonDocument> WaitForStateAsync(HttpClient client, string id, string state)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var document = JsonDocument.Parse(await client.GetStringAsync($"/v1/messages/{id}", Ct));
            if (document.RootElement.GetProperty("status").GetString() == state || started.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Equal(state, document.RootElement.GetProperty("status").GetString());
                return document;
            }
            document.Dispose();
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Checks an RFC 9457 answer: status, media type, the field named; returns the detail.</summary>
    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, int status, string? field)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
            Assert.DoesNotContain("   at ", body, StringComparison.Ordinal); // no stack trace
            if (field is not null)
            {
                Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
            }
            return problem.RootElement.GetProperty("detail").GetString() ?? "";
        }
    }
}
