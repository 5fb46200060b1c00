using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker queue destinations</c>: the running server's traffic-shaping destinations (GET /v1/destinations):
/// live state is in the server's memory, so this asks the server rather than reading the store.</summary>
internal static class DestinationsCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url")
        {
            Description = "The server's HTTP API.",
            DefaultValueFactory = _ => "http://127.0.0.1:8025",
        };
        var key = new Option<string?>("--key") { Description = "An API key without domain limits. Default: $MAILBROKER_KEY." };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON as is." };
        var command = new Command("destinations", "Each traffic-shaping destination of a running 'mailbroker serve': limits, open connections, pending recipients, back-off, suspension, last throttling reply.")
        {
            url, key, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            string? secret = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("MAILBROKER_KEY");
            if (string.IsNullOrEmpty(secret))
            {
                throw new UsageException("give --key or set MAILBROKER_KEY (a key without domain limits: mailbroker keys create --name ops).");
            }
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUri))
            {
                throw new UsageException($"--url: \"{parse.GetValue(url)}\" is not an absolute URL.");
            }
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            using var response = await http.GetAsync("/v1/destinations", ct);
            string body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                error.WriteLine($"mailbroker: the server answered {(int)response.StatusCode}: {body}");
                return ExitCodes.Usage;
            }
            if (parse.GetValue(json))
            {
                output.WriteLine(body);
                return 0;
            }
            using var document = JsonDocument.Parse(body);
            output.WriteLine("DESTINATION  CONNECTIONS  WAITING  PENDING  LIMITS  SUSPENDED-UNTIL  DELIVERED  THROTTLED  LAST-THROTTLING-REPLY");
            foreach (var d in document.RootElement.GetProperty("destinations").EnumerateArray())
            {
                string connections = d.GetProperty("connections").GetInt32().ToString(CultureInfo.InvariantCulture)
                    + (d.TryGetProperty("effectiveMaxConnections", out var max) ? "/" + max.GetInt32().ToString(CultureInfo.InvariantCulture) : "");
                double factor = d.GetProperty("factor").GetDouble();
                output.WriteLine(string.Join("  ",
                    d.GetProperty("name").GetString(),
                    connections,
                    d.GetProperty("waiting").GetInt32().ToString(CultureInfo.InvariantCulture),
                    d.TryGetProperty("pending", out var pending) ? pending.GetInt64().ToString(CultureInfo.InvariantCulture) : "-",
                    factor >= 1 ? "full" : (factor * 100).ToString("0", CultureInfo.InvariantCulture) + "%",
                    d.TryGetProperty("suspendedUntil", out var until) ? until.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-",
                    d.GetProperty("delivered").GetInt64().ToString(CultureInfo.InvariantCulture),
                    d.GetProperty("throttled").GetInt64().ToString(CultureInfo.InvariantCulture),
                    d.TryGetProperty("lastError", out var last) ? last.GetString() : "-"));
            }
            return 0;
        }));
        return command;
    }
}
