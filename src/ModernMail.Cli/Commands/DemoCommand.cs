using System.CommandLine;
using System.Net.Mail;
using System.Security.Cryptography.X509Certificates;
using ModernMail.Cli.Demo;
using ModernMail.Cli.Output;
using ModernMail.Delivery;
using ModernMail.Dkim;
using ModernMail.Server.Smtp;

namespace ModernMail.Cli.Commands;

/// <summary><c>mailbroker demo</c>: the whole pipeline on loopback with nothing installed and no network.</summary>
internal static class DemoCommand
{
    private const string MxHost = "mx.demo.test";
    private const string RecipientDomain = "demo.test";
    private const string SenderDomain = "mydomain.test";

    private const string Description = """
        Run the whole pipeline on this machine with no internet and no setup: start a receiving SMTP server on 127.0.0.1
        (STARTTLS with a throwaway certificate), generate DKIM keys (RSA-2048 and Ed25519), compose the sample message
        (HTML, plain-text alternative, PNG attachment), sign it twice, deliver it to two recipients over required TLS,
        then verify both DKIM signatures of what arrived. Exit 0 only when everything was delivered and verified.

        Example:
          mailbroker demo --out ./demo-mail
        """;

    public static Command Create()
    {
        var outDir = new Option<string>("--out", "-o") { Description = "Where to save the received .eml files (default: a new temporary directory).", HelpName = "DIR" };
        var command = new Command("demo", Description);
        command.Options.Add(outDir);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (output, error) =>
            RunAsync(parse.GetValue(outDir), output, error, ct)));
        return command;
    }

    private static async Task<int> RunAsync(string? outDir, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string directory = PrepareDirectory(outDir);
        TimeProvider time = TimeProvider.System;
        output.WriteLine("mailbroker demo: compose -> DKIM sign -> route -> ESMTP + STARTTLS -> receive -> verify, all on 127.0.0.1");

        using X509Certificate2 certificate = SelfSignedCertificate.Create(MxHost, time, TimeSpan.FromDays(1));
        await using DemoServer server = await DemoServer.StartAsync(MxHost, certificate, directory, cancellationToken);
        output.WriteLine($"  receiving MX  {MxHost} at {server.EndPoint} (SmtpServer package, STARTTLS, self-signed certificate)");

        DkimKeyPair rsa = DkimKeyPair.GenerateRsa(2048);
        DkimKeyPair ed25519 = DkimKeyPair.GenerateEd25519();
        DkimDnsRecord[] records = [rsa.CreateDnsRecord(SenderDomain, "rsa2048"), ed25519.CreateDnsRecord(SenderDomain, "ed25519")];
        output.WriteLine($"  DKIM keys     RSA-2048 ({records[0].Name}) and Ed25519 ({records[1].Name}), generated now");

        var config = new BrokerConfig
        {
            HostName = SenderDomain,
            Tls = TlsPolicy.Required,
            TimeProvider = time,
        };
        config.DkimSignatures.Add(ed25519.ToConfig(SenderDomain, "ed25519"));
        config.DkimSignatures.Add(rsa.ToConfig(SenderDomain, "rsa2048"));
        config.Routes[RecipientDomain] = server.EndPoint.ToString();

        using MailMessage message = DemoMessage.Create(
            new MailAddress($"admin@{SenderDomain}", "System Administrator"),
            new MailAddress($"john@{RecipientDomain}"),
            new MailAddress($"bob@{RecipientDomain}"));
        output.WriteLine($"  message       \"{message.Subject}\" from {message.From}: HTML + text/plain alternative + {message.Attachments[0].Name}");
        output.WriteLine($"  route         {RecipientDomain} -> {server.EndPoint} (BrokerConfig.Routes), TLS required");
        output.WriteLine();

        output.WriteLine("Delivery:");
        IReadOnlyList<DeliveryResult> results;
        await using (var broker = new MailBroker(config))
        {
            results = await broker.SendAsync(message, cancellationToken);
        }

        foreach (DeliveryResult result in results)
        {
            output.WriteLine("  " + ResultPrinter.Describe(RecipientReport.From(result)));
        }

        output.WriteLine();
        output.WriteLine("Received and verified (keys served from memory, as DNS would publish them):");
        var verifier = new DkimVerifier(new FixedDkimKeyResolver(records), new DkimVerifierOptions { TimeProvider = time });
        int passed = 0;
        int signatures = 0;
        bool allReceived = true;
        foreach (DeliveryResult result in results)
        {
            ReceivedMessage? received = server.Store.Received.FirstOrDefault(r => string.Equals(r.Recipient, result.Recipient.Address, StringComparison.OrdinalIgnoreCase));
            if (received is null)
            {
                allReceived = false;
                output.WriteLine($"  {result.Recipient.Address}: nothing arrived");
                continue;
            }

            allReceived &= received.OverTls;
            output.WriteLine($"  {received.Recipient}  {received.Path}  ({new FileInfo(received.Path).Length} bytes, {(received.OverTls ? "received over STARTTLS" : "received in CLEAR TEXT")})");
            await using var file = File.OpenRead(received.Path);
            foreach (DkimVerificationResult verdict in await verifier.VerifyAsync(file, cancellationToken))
            {
                signatures++;
                passed += verdict.Status == DkimSignatureStatus.Pass ? 1 : 0;
                output.WriteLine($"    {verdict}");
            }
        }

        int delivered = results.Count(r => r.Delivered);
        bool ok = delivered == results.Count && allReceived && signatures == 2 * results.Count && passed == signatures;
        DeliveryResult? tls = results.FirstOrDefault(r => r.UsedTls);
        output.WriteLine();
        output.WriteLine($"{(ok ? "OK" : "FAILED")}: {delivered}/{results.Count} delivered, TLS {tls?.TlsProtocol ?? "not used"} {tls?.TlsCipher}, {passed}/{signatures} DKIM signatures pass.");
        output.WriteLine($"Received messages saved in {directory}");
        if (!ok)
        {
            error.WriteLine("mailbroker demo: not everything was delivered and verified; see above.");
        }

        return ok ? ExitCodes.Success : ExitCodes.NotDelivered;
    }

    private static string PrepareDirectory(string? outDir)
    {
        if (outDir is null)
        {
            return Directory.CreateTempSubdirectory("mailbroker-demo-").FullName;
        }

        try
        {
            return Directory.CreateDirectory(outDir).FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out: cannot create directory \"{outDir}\": {ex.Message}", ex);
        }
    }
}
