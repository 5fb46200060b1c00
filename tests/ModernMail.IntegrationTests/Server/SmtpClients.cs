using System.Diagnostics;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Real SMTP clients for the submission tests: MailKit's SmtpClient, and Python's smtplib run as a script.</summary>
public static class SmtpClients
{
    /// <summary>Helpers every Python script starts with: argv is PORT USER SECRET [more...].</summary>
    private const string Prelude = """
        import smtplib, ssl, sys, socket, base64, time
        PORT = int(sys.argv[1]); USER = sys.argv[2]; SECRET = sys.argv[3]; ARGS = sys.argv[4:]
        def context():
            c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
            return c
        def connect(source=None):
            s = smtplib.SMTP('127.0.0.1', PORT, timeout=30, source_address=(source, 0) if source else None)
            s.ehlo()
            return s
        def secure(s):
            s.starttls(context=context()); s.ehlo()
            return s
        def show(label, r):
            print(label, r[0], r[1].decode(errors='replace').replace('\n', ' | '), flush=True)
        def plain(user, secret):
            return base64.b64encode(b'\0' + user.encode() + b'\0' + secret.encode()).decode()

        """;

    /// <summary>A MailKit client that accepts the server's self-signed certificate, connected with STARTTLS.</summary>
    public static async Task<SmtpClient> ConnectMailKitAsync(int port, CancellationToken cancellationToken)
    {
        var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, Timeout = 30_000 };
        await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.StartTls, cancellationToken);
        return client;
    }

    /// <summary>A small text message.</summary>
    public static MimeMessage Message(string from, string to, string subject, string body = "Hello over SMTP submission.")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    /// <summary>Runs <paramref name="script"/> (after the prelude) with /usr/bin/python3; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunPythonAsync(string script, int port, string user, string secret,
        IEnumerable<string>? args = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        string file = Path.Combine(Path.GetTempPath(), $"mm-smtp-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, Prelude + script, cancellationToken);
        try
        {
            var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in (string[])[file, port.ToString(System.Globalization.CultureInfo.InvariantCulture), user, secret, .. args ?? []])
            {
                info.ArgumentList.Add(arg);
            }
            using var process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
