using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModernMail.Cli.Options;
using ModernMail.Server.Keys;
using ModernMail.Server.Storage;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker keys create|list|revoke</c>: the API keys of <c>mailbroker serve</c>, kept in its data directory.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "Manage the API keys that 'mailbroker serve' accepts (stored as SHA-256 hashes in DATA/server.db).");
        command.Subcommands.Add(CreateCreate());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateRevoke());
        return command;
    }

    private static Command CreateCreate()
    {
        var server = new ServerOptions();
        var name = new Option<string>("--name") { Description = "A name for the key (unique among active keys; the SMTP user name).", Required = true };
        var domain = new Option<string[]>("--domain") { Description = "A sender domain the key may use (repeatable; subdomains included). Default: any.", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print {name, id, secret, domains} as JSON." };
        var command = new Command("create", "Create an API key; prints its secret once (only a hash is stored).") { name, domain, json };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var settings = server.Load(parse);
            await using var store = await OpenAsync(settings.DataDirectory, ct);
            var keys = new ApiKeyService(store, TimeProvider.System);
            StoredApiKey key;
            string secret;
            try
            {
                (key, secret) = await keys.CreateAsync(parse.GetValue(name)!, parse.GetValue(domain) ?? [], ct);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal), ex);
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { name = key.Name, id = key.Id, secret, domains = key.Domains }));
            }
            else
            {
                Console.WriteLine(secret);
            }
            string scope = key.Domains.Count == 0 ? "any sender domain" : string.Join(", ", key.Domains);
            Console.Error.WriteLine($"Created API key \"{key.Name}\" (id {key.Id}) for {scope}. Save the secret now: it is not stored and cannot be shown again.");
            Console.Error.WriteLine("Use it as:  Authorization: Bearer <secret>");
            return 0;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var server = new ServerOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON lines, one key per line." };
        var command = new Command("list", "List API keys (never their secrets).") { json };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var settings = server.Load(parse);
            await using var store = await OpenAsync(settings.DataDirectory, ct);
            var list = await new ApiKeyService(store, TimeProvider.System).ListAsync(ct);
            foreach (var key in list)
            {
                string domains = key.Domains.Count == 0 ? "*" : string.Join(",", key.Domains);
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { name = key.Name, id = key.Id, domains = key.Domains, createdAt = key.CreatedAt, revokedAt = key.RevokedAt })
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{key.Id}  {key.Name,-20}  {domains,-30}  created {key.CreatedAt:yyyy-MM-dd HH:mm}Z  {(key.RevokedAt is { } at ? $"revoked {at:yyyy-MM-dd HH:mm}Z" : "active")}"));
            }
            Console.Error.WriteLine($"{list.Count} key(s)");
            return 0;
        }));
        return command;
    }

    private static Command CreateRevoke()
    {
        var server = new ServerOptions();
        var key = new Argument<string>("key") { Description = "The name or id of the key." };
        var command = new Command("revoke", "Revoke an API key: requests with it get 401 from then on, in every running server.") { key };
        server.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var settings = server.Load(parse);
            await using var store = await OpenAsync(settings.DataDirectory, ct);
            if (!await new ApiKeyService(store, TimeProvider.System).RevokeAsync(parse.GetValue(key)!, ct))
            {
                Console.Error.WriteLine($"mailbroker keys revoke: no active key named or with id \"{parse.GetValue(key)}\".");
                return 1;
            }
            Console.WriteLine(parse.GetValue(key));
            return 0;
        }));
        return command;
    }

    private static async Task<SqliteServerStore> OpenAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var store = new SqliteServerStore(dataDirectory);
        try
        {
            await store.InitializeAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }
}
