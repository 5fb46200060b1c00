using System.CommandLine;
using ModernMail.Cli.Options;
using ModernMail.Dkim;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker dkim keygen|record</c>: make a DKIM key and print the DNS TXT record that publishes it.</summary>
internal static class DkimCommand
{
    public static Command Create()
    {
        var command = new Command("dkim", """
            Create DKIM signing keys and print the DNS TXT records that publish them.

            Example:
              mailbroker dkim keygen --domain example.com --selector s2025 --out s2025.pem
            """);
        command.Subcommands.Add(CreateKeygen());
        command.Subcommands.Add(CreateRecord());
        return command;
    }

    private static Command CreateKeygen()
    {
        var domain = DomainOption();
        var selector = SelectorOption();
        var algorithm = new Option<string>("--algorithm")
        {
            Description = "rsa (rsa-sha256, understood everywhere) or ed25519 (RFC 8463; pair it with an RSA key).",
            DefaultValueFactory = _ => "rsa",
        };
        algorithm.AcceptOnlyFromAmong("rsa", "ed25519");
        var bits = new Option<int>("--bits") { Description = "RSA modulus size, 1024-4096 (default 2048).", DefaultValueFactory = _ => 2048, HelpName = "N" };
        var outFile = new Option<string>("--out", "-o") { Description = "Where to write the private key (PKCS#8 PEM, mode 0600).", Required = true, HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Overwrite FILE if it exists." };
        var command = new Command("keygen", """
            Generate a DKIM private key, write it as PEM, and print the DNS TXT record to publish at SELECTOR._domainkey.DOMAIN.

            Example:
              mailbroker dkim keygen --domain example.com --selector s2025 --out s2025.pem
              mailbroker dkim keygen --domain example.com --selector ed2025 --algorithm ed25519 --out ed2025.pem
            """);
        command.Options.Add(domain);
        command.Options.Add(selector);
        command.Options.Add(algorithm);
        command.Options.Add(bits);
        command.Options.Add(outFile);
        command.Options.Add(force);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            string d = parse.GetValue(domain)!; // Required.
            string s = parse.GetValue(selector)!; // Required.
            bool rsa = parse.GetValue(algorithm) != "ed25519";
            int size = parse.GetValue(bits);
            if (rsa && size is < 1024 or > 4096)
            {
                throw new UsageException($"--bits: {size} is outside 1024-4096 (RFC 8301 requires at least 1024; 2048 is the usual choice).");
            }

            // Validate the names before spending time on a key.
            DkimDnsRecord.Create(d, s, DkimKeyType.Ed25519, new byte[32]);
            DkimKeyPair key = rsa ? DkimKeyPair.GenerateRsa(size) : DkimKeyPair.GenerateEd25519();
            string path = parse.GetValue(outFile)!; // Required.
            await WriteKeyAsync(path, key.ExportPrivateKeyPem(), parse.GetValue(force), ct);
            error.WriteLine($"Wrote the {(rsa ? $"RSA-{size}" : "Ed25519")} private key to {path}; keep it secret. Publish this record:");
            PrintRecord(output, key.CreateDnsRecord(d, s));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRecord()
    {
        var domain = DomainOption();
        var selector = SelectorOption();
        var keyFile = new Option<string>("--key") { Description = "The PEM private key (PKCS#8 RSA or Ed25519, or PKCS#1 RSA).", Required = true, HelpName = "PEM" };
        var command = new Command("record", """
            Print the DNS TXT record for an existing DKIM private key.

            Example:
              mailbroker dkim record --domain example.com --selector s2025 --key s2025.pem
            """);
        command.Options.Add(domain);
        command.Options.Add(selector);
        command.Options.Add(keyFile);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (output, error) =>
        {
            string path = parse.GetValue(keyFile)!; // Required.
            DkimKeyPair key;
            try
            {
                key = DkimKeyPair.FromPem(BrokerOptions.ReadKey(path));
            }
            catch (DkimException ex)
            {
                throw new UsageException($"--key \"{path}\": {ex.Message}", ex);
            }

            PrintRecord(output, key.CreateDnsRecord(parse.GetValue(domain)!, parse.GetValue(selector)!)); // Both required.
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    private static Option<string> DomainOption() => new("--domain") { Description = "The signing domain (d=).", Required = true, HelpName = "D" };

    private static Option<string> SelectorOption() => new("--selector") { Description = "The selector (s=).", Required = true, HelpName = "S" };

    /// <summary>Prints the record three ways: the owner name, the value for DNS web panels, and a zone-file line.</summary>
    private static void PrintRecord(TextWriter output, DkimDnsRecord record)
    {
        output.WriteLine($"Name:  {record.Name}");
        output.WriteLine($"Type:  TXT");
        output.WriteLine($"Value: {record.Value}");
        output.WriteLine();
        output.WriteLine(record.ToZoneFileString());
    }

    private static async Task WriteKeyAsync(string path, string pem, bool force, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions
        {
            Mode = force ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using var file = new FileStream(path, options);
            await using var writer = new StreamWriter(file);
            await writer.WriteAsync(pem.AsMemory(), cancellationToken);
        }
        catch (IOException) when (!force && File.Exists(path))
        {
            throw new UsageException($"--out: \"{path}\" already exists; choose another file or add --force.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out: cannot write \"{path}\": {ex.Message}", ex);
        }
    }
}
