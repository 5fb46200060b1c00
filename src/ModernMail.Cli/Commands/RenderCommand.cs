using System.CommandLine;
using System.Net.Mail;
using ModernMail.Cli.Options;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker render</c>: write the exact signed message that DATA would carry, send nothing.</summary>
internal static class RenderCommand
{
    private const string Description = """
        Compose and DKIM-sign one message and write the exact bytes DATA would carry (CRLF, before dot-stuffing) to
        standard output or --out FILE. Nothing is sent; no DNS is queried.

        Example:
          mailbroker render --from ops@example.com --to alice@example.net --subject Hi --html page.html --text page.txt \
            --dkim-domain example.com --dkim-selector ed1 --dkim-key ed1.pem --out message.eml
        """;

    public static Command Create()
    {
        var message = new MessageOptions();
        var broker = new BrokerOptions();
        var outFile = new Option<string>("--out", "-o") { Description = "Write the message to FILE instead of standard output.", HelpName = "FILE" };
        var command = new Command("render", Description);
        message.AddTo(command);
        broker.AddSigningTo(command);
        command.Options.Add(outFile);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (output, error) =>
        {
            using MailMessage mail = message.Build(parse, Console.In, requireRecipient: false);
            BrokerConfig config = broker.Build(parse, mail.From!, forDelivery: false); // Build always sets From.
            await using MailBroker renderer = Brokers.Create(config);
            string? path = parse.GetValue(outFile);
            if (path is null)
            {
                // Render in memory first so invalid input never leaves half a message on stdout.
                using var buffer = new MemoryStream();
                await renderer.RenderAsync(mail, buffer, ct);
                await output.FlushAsync(ct);
                using Stream stdout = Console.OpenStandardOutput();
                buffer.Position = 0;
                await buffer.CopyToAsync(stdout, ct);
                await stdout.FlushAsync(ct);
                return ExitCodes.Success;
            }

            await RenderToFileAsync(renderer, mail, path, ct);
            error.WriteLine($"Wrote {new FileInfo(path).Length} bytes to {path}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task RenderToFileAsync(MailBroker renderer, MailMessage mail, string path, CancellationToken cancellationToken)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"--out: \"{path}\" is not a valid path: {ex.Message}", ex);
        }

        string temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await renderer.RenderAsync(mail, file, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out: cannot write \"{path}\": {ex.Message}", ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
